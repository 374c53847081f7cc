"""Logging to the browser console: the SDK's log records (already filtered by each session's
``log_level`` and redacted) go to ``console.error``/``warn``/``info``/``debug`` by level.

>>> logging.getLogger("kaltura_avatar").addHandler(ConsoleHandler())   # doctest: +SKIP
"""

from __future__ import annotations

import logging

from .interop import js


class ConsoleHandler(logging.Handler):
    """Log records to the browser console at the matching level."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = f"[kaltura_avatar] {self.format(record)}"
            if record.levelno >= logging.ERROR:
                js.console.error(message)
            elif record.levelno >= logging.WARNING:
                js.console.warn(message)
            elif record.levelno >= logging.INFO:
                js.console.info(message)
            else:
                js.console.debug(message)
        except Exception:  # logging must never break the session
            self.handleError(record)
