"""The argument checks every public method runs, raising ``AvatarError(INVALID_CONFIGURATION)``.

They need no pydantic, so ``import kaltura_avatar`` stays light in the browser: the models in
``config`` (and pydantic, ~0.3 s of a page's boot) load when a session is first made.

>>> non_empty("avatar-123", "avatar_id")
'avatar-123'
"""

from __future__ import annotations

import math
from typing import Any

from .errors import AvatarError, AvatarErrorCode


def invalid(message: str, **details: Any) -> AvatarError:
    return AvatarError(AvatarErrorCode.INVALID_CONFIGURATION, message, details or None)


def non_empty(value: Any, name: str) -> str:
    """``value`` if it is a non-blank string, else ``INVALID_CONFIGURATION`` naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{name} must be a non-empty string")
    return value


def is_finite_positive(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def is_header_safe(value: str) -> bool:
    """True for a credential that can travel in an HTTP header: printable ASCII, no spaces."""
    return value.isascii() and value.isprintable() and not any(c.isspace() for c in value)


def check_api_key(api_key: Any) -> str | None:
    """The KS (or None): a non-empty string that can travel in a header."""
    if api_key is not None and not is_header_safe(non_empty(api_key, "api_key")):
        raise invalid("api_key must be printable ASCII without spaces (it is sent in a header)")
    return api_key


def audio_arguments(turn_id: Any, duration: Any, text: Any) -> tuple[str, float, str | None]:
    """``say_audio``'s turn id, duration (seconds > 0) and the optional text of its caption."""
    non_empty(turn_id, "turn_id")
    if not is_finite_positive(duration):
        raise invalid("duration must be the audio's length in seconds, a number > 0")
    return turn_id, float(duration), None if text is None else non_empty(text, "text")
