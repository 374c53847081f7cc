"""The seed's error type: ``AvatarError(code, message, details)`` with ``AvatarErrorCode``. The
message is for people (what happened, what to do); the code and details are for developers."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .log import redact


class AvatarErrorCode(StrEnum):
    """Why an operation failed (the seed's values)."""

    INVALID_STATE = "INVALID_STATE"
    API_REQUEST_FAILED = "API_REQUEST_FAILED"
    RTC_CONNECTION_FAILED = "RTC_CONNECTION_FAILED"
    INVALID_CONFIGURATION = "INVALID_CONFIGURATION"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    UNAUTHORIZED = "UNAUTHORIZED"


class AvatarError(Exception):
    """An error raised by every public method and emitted as the ``error`` event.

    ``details`` holds what helps to diagnose (HTTP status, route, server error text,
    attempts); secrets (KS, token) are redacted from the message and the details.

    >>> err = AvatarError(AvatarErrorCode.INVALID_STATE, "Session is not ready")
    >>> err.code, err.message
    (<AvatarErrorCode.INVALID_STATE: 'INVALID_STATE'>, 'Session is not ready')
    """

    def __init__(self, code: AvatarErrorCode | str, message: str, details: Any = None) -> None:
        self.code = AvatarErrorCode(code)
        self.message = redact(str(message))
        self.details = _redact_details(details)
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"[{self.code.value}] {self.message}"

    def __repr__(self) -> str:
        return f"AvatarError({self.code.value!r}, {self.message!r}, {self.details!r})"

    @classmethod
    def unexpected(cls, what: str, exc: BaseException) -> AvatarError:
        """An exception that is not an ``AvatarError`` (a bug, a browser surprise), typed."""
        return cls(
            AvatarErrorCode.API_REQUEST_FAILED, f"{what} failed unexpectedly ({type(exc).__name__}: {exc})",
            {"exception": type(exc).__name__},
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view: ``{"code", "message", "details"}``."""
        return {"code": self.code.value, "message": self.message, "details": self.details}


def _redact_details(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_details(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_details(v) for v in value]
    return value
