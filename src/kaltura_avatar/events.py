"""The event emitter: ``on``/``off``/``once`` with the seed's event names.

Handlers may be plain functions or coroutine functions (scheduled as tasks). A handler that
raises is logged and never breaks the session or the other handlers.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from .errors import AvatarError, AvatarErrorCode
from .log import logger

EVENTS = ("stateChange", "connectionChange", "error", "speakingStart", "speakingEnd")


class EventEmitter:
    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[Callable[..., Any], bool]]] = {e: [] for e in EVENTS}
        self._tasks: set[asyncio.Task] = set()

    def on(self, event: str, callback: Callable[..., Any], *, once: bool = False) -> None:
        self._check(event)
        if not callable(callback):
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION, f"The {event!r} handler must be callable"
            )
        self._handlers[event].append((callback, once))

    def off(self, event: str, callback: Callable[..., Any] | None = None) -> None:
        """Remove ``callback`` from ``event`` (every handler of ``event`` when omitted)."""
        self._check(event)
        self._handlers[event] = [
            (cb, once) for cb, once in self._handlers[event] if callback is not None and cb != callback
        ]

    def emit(self, event: str, *args: Any) -> None:
        handlers = self._handlers[event]
        self._handlers[event] = [(cb, once) for cb, once in handlers if not once]
        for callback, _ in handlers:
            try:
                result = callback(*args)
            except Exception:
                logger.exception("A %r handler raised; the session goes on", event)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(self._run(event, result))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Let the async handlers still running finish (up to ``timeout``), cancel the rest."""
        pending = {t for t in self._tasks if t is not asyncio.current_task()}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    @staticmethod
    async def _run(event: str, awaitable: Any) -> None:
        try:
            await awaitable
        except Exception:
            logger.exception("A %r handler raised; the session goes on", event)

    @staticmethod
    def _check(event: Any) -> None:
        if event not in EVENTS:
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION,
                f"Unknown event {event!r}; events are {', '.join(EVENTS)}",
            )
