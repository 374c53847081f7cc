"""Events: the seed's event names and ``caption`` (``EVENTS``, also what the JS facade forwards)
and the emitter behind ``on``/``off``/``once``.

Handlers may be plain functions or coroutine functions (scheduled as tasks). A handler that
raises is logged and never breaks the session or the other handlers.

>>> emitter = EventEmitter()
>>> emitter.on("speakingStart", lambda: print("speaking"))
>>> emitter.emit("speakingStart")
speaking
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from .errors import AvatarError, AvatarErrorCode
from .log import DEFAULT_LOG, SessionLog

EVENTS = ("stateChange", "connectionChange", "error", "speakingStart", "speakingEnd", "caption")


class EventEmitter:
    def __init__(self, log: SessionLog = DEFAULT_LOG) -> None:
        self._log = log
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
                self._log.exception("A %r handler raised; the session goes on", event)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(self._run(event, result, self._log))
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
    async def _run(event: str, awaitable: Any, log: SessionLog) -> None:
        try:
            await awaitable
        except Exception:
            log.exception("A %r handler raised; the session goes on", event)

    @staticmethod
    def _check(event: Any) -> None:
        if event not in EVENTS:
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION,
                f"Unknown event {event!r}; events are {', '.join(EVENTS)}",
            )


def emits_errors(method: Callable) -> Callable:
    """For a method of an object with an ``_events`` emitter: every ``AvatarError`` it raises is
    also emitted as the ``error`` event."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def async_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except AvatarError as err:
                self._events.emit("error", err)
                raise

        return async_wrapper

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AvatarError as err:
            self._events.emit("error", err)
            raise

    return wrapper
