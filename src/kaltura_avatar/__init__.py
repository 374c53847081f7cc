"""Kaltura Avatar Client SDK for Python in the browser (PyScript/Pyodide): the public names.

>>> from kaltura_avatar import KalturaAvatarSession  # doctest: +SKIP
>>> session = KalturaAvatarSession("<ks>", {"baseUrl": "https://api.avatar.us.kaltura.ai/v1/avatar-session"})
... # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from .errors import AvatarError, AvatarErrorCode
from .events import EVENTS
from .session import KalturaAvatarSession
from .speech import new_turn_id
from .states import ConnectionState, SessionState

__version__ = "0.1.0"

# The pydantic models are imported on first use: pydantic is a few hundred ms of a page's boot
# that a page can spend after it is on screen (a session's constructor imports them anyway).
_MODELS = ("AvatarConfig", "CreateSessionOptions", "InitSessionOptions", "InitSessionParams", "RetryConfig")
if TYPE_CHECKING:
    from .config import AvatarConfig, CreateSessionOptions, InitSessionOptions, InitSessionParams, RetryConfig


__all__ = [
    "EVENTS",
    "AvatarConfig",
    "AvatarError",
    "AvatarErrorCode",
    "ConnectionState",
    "CreateSessionOptions",
    "InitSessionOptions",
    "InitSessionParams",
    "KalturaAvatarSession",
    "RetryConfig",
    "SessionState",
    "__version__",
    "new_turn_id",
]


def __getattr__(name: str):
    if name in _MODELS:
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
