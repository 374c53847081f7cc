import pytest

from kaltura_avatar import AvatarError, AvatarErrorCode, RetryConfig
from kaltura_avatar.retry import RETRY_AFTER_CAP_S, Retryable, backoff_delays, parse_retry_after, with_retries


def test_default_schedule_is_500ms_then_1s():
    assert backoff_delays(RetryConfig()) == [0.5, 1.0]


def test_schedule_grows_by_the_multiplier_and_stops_at_the_max():
    config = RetryConfig(max_attempts=6, initial_delay_ms=100, max_delay_ms=1000, backoff_multiplier=3)
    assert backoff_delays(config) == pytest.approx([0.1, 0.3, 0.9, 1.0, 1.0])
    assert backoff_delays(RetryConfig(max_attempts=1)) == []
    assert backoff_delays(config, attempts=3) == pytest.approx([0.1, 0.3])  # a count other than max_attempts


def test_retry_after_forms():
    assert parse_retry_after("2") == 2
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after("9999") == RETRY_AFTER_CAP_S
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now=1445412480.0) == pytest.approx(5)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("nan") is None


def failing(plan):
    """An attempt function that raises the planned outcomes in turn, then returns 'ok'."""
    calls = []

    async def attempt(n):
        calls.append(n)
        outcome = plan[n - 1] if n <= len(plan) else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return attempt, calls


def api_error(**details):
    return AvatarError(AvatarErrorCode.API_REQUEST_FAILED, "failed", dict(details))


async def test_retries_on_the_schedule_and_returns_the_success():
    sleeps = []

    async def sleep(s):
        sleeps.append(s)

    attempt, calls = failing([Retryable(api_error()), Retryable(api_error())])
    result = await with_retries(attempt, RetryConfig(), what="t", sleep=sleep)
    assert (result, calls, sleeps) == ("ok", [1, 2, 3], [0.5, 1.0])


async def test_retry_after_is_honoured_when_longer_than_the_backoff():
    sleeps = []

    async def sleep(s):
        sleeps.append(s)

    attempt, _ = failing([Retryable(api_error(), retry_after=2.0), Retryable(api_error(), retry_after=0.1)])
    await with_retries(attempt, RetryConfig(), what="t", sleep=sleep)
    assert sleeps == [2.0, 1.0]


async def test_gives_up_after_max_attempts_with_the_attempt_count():
    async def sleep(s):
        pass

    attempt, calls = failing([Retryable(api_error(status=503))] * 5)
    with pytest.raises(AvatarError) as excinfo:
        await with_retries(attempt, RetryConfig(max_attempts=4), what="t", sleep=sleep)
    assert calls == [1, 2, 3, 4]
    assert excinfo.value.details == {"status": 503, "attempts": 4}


async def test_final_errors_are_never_retried():
    attempt, calls = failing([AvatarError(AvatarErrorCode.UNAUTHORIZED, "no", {"status": 401})])
    with pytest.raises(AvatarError) as excinfo:
        await with_retries(attempt, RetryConfig(max_attempts=5), what="t")
    assert calls == [1] and excinfo.value.details["attempts"] == 1
