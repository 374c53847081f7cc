"""The SDK's logging: one logger (``kaltura_avatar``), a level per session, and secret redaction.

Every session logs through its own ``SessionLog``, which honours that session's ``log_level``:
two sessions in one page can log at two levels. Secrets (the KS and session tokens) are
registered while a session holds them; every record that goes through the logger, and every
``AvatarError`` message, is scrubbed of them. Auth header shapes (``KS ...``, ``Bearer ...``)
are scrubbed too, whatever the value.

>>> log = SessionLog("warn")
>>> log.isEnabledFor(logging.INFO), log.isEnabledFor(logging.ERROR)
(False, True)
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("kaltura_avatar")
# Each session filters by its own level (SessionLog); the shared logger lets everything through.
logger.setLevel(logging.DEBUG)

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}

_secrets: dict[str, int] = {}  # secret -> number of holders
_AUTH = re.compile(r"\b(KS|Bearer)\s+[^\s\"',;]+", re.IGNORECASE)
MASK = "***"


class SessionLog(logging.LoggerAdapter):
    """The shared logger seen through one session's ``log_level``."""

    def __init__(self, level: str = "info") -> None:
        super().__init__(logger, {})
        self.threshold = LEVELS[level]

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 (the logging API's name)
        return level >= self.threshold


DEFAULT_LOG = SessionLog("info")  # for protocol code used outside a session (e.g. by the emulator)


def add_secret(value: str | None) -> None:
    if value:
        _secrets[value] = _secrets.get(value, 0) + 1


def remove_secret(value: str | None) -> None:
    if value and value in _secrets:
        _secrets[value] -= 1
        if not _secrets[value]:
            del _secrets[value]


def redact(text: str) -> str:
    """``text`` with every registered secret and every auth header value masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _AUTH.sub(lambda m: f"{m.group(1)} {MASK}", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:  # tracebacks can quote values: format them here, redacted
            message += "\n" + _formatter.formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = redact(message), None
        return True


_formatter = logging.Formatter()

if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
    logger.addFilter(_RedactingFilter())
