"""Named background tasks (startup, keep-alive, play, monitor, recovery): one task per name (a new
one replaces the old), all cancelled together at teardown, and a failure is logged, never lost.

>>> import asyncio
>>> async def demo():
...     tasks = Tasks()
...     tasks.spawn("nap", asyncio.sleep(60))
...     await tasks.cancel_all()
...     return "nap" in tasks
>>> asyncio.run(demo())
False
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any

from .log import DEFAULT_LOG, SessionLog


def start_now(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """A task whose coroutine runs at once, up to its first wait, instead of one event-loop turn
    later (an eager task, Python 3.12+, in a running loop): in the browser each turn is a task of
    the page's main thread, which can wait behind the browser's own work (network, rendering)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # called from a JS callback, outside the loop
        return asyncio.ensure_future(coro)
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, eager_start=True)
    return loop.create_task(coro)


class Tasks:
    def __init__(self, log: SessionLog = DEFAULT_LOG) -> None:
        self._log = log
        self._tasks: dict[str, asyncio.Task] = {}

    def spawn(self, name: str, coro: Awaitable[Any], *, log_failure: bool = True, now: bool = False) -> asyncio.Task:
        """Run ``coro`` as the task ``name`` (``now``: started at once, see ``start_now``)."""
        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = start_now(coro) if now else asyncio.ensure_future(coro)
        self._tasks[name] = task

        def forget(done: asyncio.Task) -> None:
            if self._tasks.get(name) is done:
                del self._tasks[name]
            if log_failure and not done.cancelled() and done.exception() is not None:
                self._log.error("%s task failed: %r", name, done.exception())

        task.add_done_callback(forget)
        return task

    def get(self, name: str) -> asyncio.Task | None:
        return self._tasks.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._tasks

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every task but the one calling, and wait until they are done."""
        current = asyncio.current_task()
        tasks = [t for t in self._tasks.values() if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._tasks = {k: t for k, t in self._tasks.items() if t is current}

    def cancel_now(self) -> None:
        """Cancel every task without waiting (pagehide: nothing may await)."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks = {}
