"""Retries: the backoff schedule from ``RetryConfig`` and the loop that runs attempts on it.

An attempt either returns, raises ``AvatarError`` (final: never retried, e.g. any 4xx), or
raises ``Retryable`` (429, 5xx, network error, timeout) carrying the error to report when
the attempts run out and the server's ``Retry-After``, which is honoured. ``sleep`` is
injected, so tests run the schedule without waiting.

>>> from kaltura_avatar.config import RetryConfig
>>> backoff_delays(RetryConfig(initial_delay_ms=500, max_delay_ms=1500), attempts=4)
[0.5, 1.0, 1.5]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from .errors import AvatarError
from .log import DEFAULT_LOG, SessionLog

if TYPE_CHECKING:  # annotations only: the pydantic models load on first use
    from .config import RetryConfig

T = TypeVar("T")
RETRY_AFTER_CAP_S = 30.0  # a longer Retry-After is waited as this long


class Retryable(Exception):
    def __init__(self, error: AvatarError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def backoff_delays(config: RetryConfig, attempts: int | None = None) -> list[float]:
    """Seconds to wait before attempt 2, 3, ... ``attempts`` (default ``config.max_attempts``)."""
    attempts = config.max_attempts if attempts is None else attempts
    return [
        min(config.initial_delay_ms * config.backoff_multiplier**i, config.max_delay_ms) / 1000
        for i in range(attempts - 1)
    ]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds from now (delta-seconds or an HTTP date), ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime  # rare (an HTTP date): kept off the boot path

            seconds = parsedate_to_datetime(value).timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, IndexError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


async def with_retries(
    attempt: Callable[[int], Awaitable[T]],
    config: RetryConfig,
    *,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    attempts: int | None = None,
    log: SessionLog = DEFAULT_LOG,
) -> T:
    """Run ``attempt(n)`` for n = 1.. ``attempts`` (default ``config.max_attempts``); the final
    error carries ``details.attempts``."""
    attempts = config.max_attempts if attempts is None else attempts
    delays = backoff_delays(config, attempts)
    for n in range(1, attempts + 1):
        try:
            return await attempt(n)
        except AvatarError as err:
            _add_attempts(err, n)
            raise
        except Retryable as retry:
            if n == attempts:
                _add_attempts(retry.error, n)
                raise retry.error from None
            delay = max(delays[n - 1], retry.retry_after or 0.0)
            log.debug("%s: attempt %d failed (%s); retrying in %.2f s", what, n, retry.error.message, delay)
            await sleep(delay)
    raise AssertionError("unreachable")


def _add_attempts(err: AvatarError, n: int) -> None:
    if isinstance(err.details, dict):
        err.details.setdefault("attempts", n)
