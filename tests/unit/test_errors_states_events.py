import asyncio
import logging

import pytest

from kaltura_avatar import AvatarError, AvatarErrorCode, ConnectionState, SessionState
from kaltura_avatar.events import EVENTS, EventEmitter
from kaltura_avatar.log import add_secret, redact, remove_secret
from kaltura_avatar.states import CONNECTION_TRANSITIONS, SESSION_TRANSITIONS


def test_enum_values_are_the_seeds():
    assert [s.value for s in SessionState] == ["IDLE", "CREATING", "READY", "ENDED", "ERROR"]
    assert [s.value for s in ConnectionState] == ["DISCONNECTED", "CONNECTING", "CONNECTED", "FAILED", "CLOSED"]
    assert [c.value for c in AvatarErrorCode] == [
        "INVALID_STATE", "API_REQUEST_FAILED", "RTC_CONNECTION_FAILED",
        "INVALID_CONFIGURATION", "SESSION_NOT_FOUND", "UNAUTHORIZED",
    ]
    assert SessionState.READY == "READY" and str(ConnectionState.CONNECTED) == "CONNECTED"


def test_avatar_error_carries_code_message_details():
    err = AvatarError("UNAUTHORIZED", "refused", {"status": 401})
    assert isinstance(err, Exception)
    assert err.code is AvatarErrorCode.UNAUTHORIZED
    assert (err.message, err.details) == ("refused", {"status": 401})
    assert str(err) == "[UNAUTHORIZED] refused"
    assert err.to_dict() == {"code": "UNAUTHORIZED", "message": "refused", "details": {"status": 401}}


def test_secrets_are_redacted_from_errors_and_logs(caplog):
    add_secret("s3cr3t-token-value")
    try:
        err = AvatarError("API_REQUEST_FAILED", "echo s3cr3t-token-value", {"error": ["Bearer abc.def", "KS xyz"]})
        assert "s3cr3t" not in str(err) and "abc.def" not in str(err.details) and "xyz" not in str(err.details)
        logger = logging.getLogger("kaltura_avatar")
        logger.setLevel(logging.DEBUG)
        with caplog.at_level(logging.DEBUG, logger="kaltura_avatar"):
            logger.debug("sending %s", "s3cr3t-token-value")
            try:
                raise ValueError("s3cr3t-token-value")
            except ValueError:
                logger.exception("boom")
        assert "s3cr3t" not in caplog.text and "***" in caplog.text
    finally:
        remove_secret("s3cr3t-token-value")
    assert redact("s3cr3t-token-value") == "s3cr3t-token-value"


def test_state_tables():
    S, C = SessionState, ConnectionState
    assert SESSION_TRANSITIONS[S.IDLE] == {S.CREATING}
    assert SESSION_TRANSITIONS[S.CREATING] == {S.READY, S.ERROR, S.ENDED}
    assert SESSION_TRANSITIONS[S.ENDED] == set()
    assert C.CONNECTING in CONNECTION_TRANSITIONS[C.CONNECTED]  # recovery
    assert CONNECTION_TRANSITIONS[C.CLOSED] == set()


async def test_on_once_off_and_order():
    emitter, seen = EventEmitter(), []
    first = lambda s: seen.append(("first", s))  # noqa: E731
    emitter.on("stateChange", first)
    emitter.on("stateChange", lambda s: seen.append(("second", s)), once=True)
    emitter.emit("stateChange", "CREATING")
    emitter.emit("stateChange", "READY")
    emitter.off("stateChange", first)
    emitter.emit("stateChange", "ENDED")
    assert seen == [("first", "CREATING"), ("second", "CREATING"), ("first", "READY")]
    emitter.on("error", first)
    emitter.off("error")
    emitter.emit("error", "x")
    assert len(seen) == 3


async def test_async_handlers_run_and_raising_handlers_are_logged_not_fatal(caplog):
    emitter, seen = EventEmitter(), []

    async def slow(state):
        await asyncio.sleep(0.01)
        seen.append(("async", state))

    async def bad_async(state):
        raise RuntimeError("async boom")

    def bad(state):
        raise RuntimeError("boom")

    for handler in (bad, slow, bad_async, lambda s: seen.append(("sync", s))):
        emitter.on("connectionChange", handler)
    with caplog.at_level(logging.ERROR, logger="kaltura_avatar"):
        emitter.emit("connectionChange", "CONNECTED")
        await emitter.drain(1)
    assert seen == [("sync", "CONNECTED"), ("async", "CONNECTED")]
    assert "boom" in caplog.text and "async boom" in caplog.text


async def test_drain_cancels_handlers_that_take_too_long():
    emitter = EventEmitter()
    emitter.on("speakingStart", lambda: asyncio.sleep(10))
    emitter.emit("speakingStart")
    await emitter.drain(0.01)
    assert not emitter._tasks


@pytest.mark.parametrize("event, callback", [("stateChanged", print), ("speaking", print), ("error", 3)])
def test_unknown_event_or_non_callable_is_invalid_configuration(event, callback):
    with pytest.raises(AvatarError) as excinfo:
        EventEmitter().on(event, callback)
    assert excinfo.value.code is AvatarErrorCode.INVALID_CONFIGURATION
    assert "speakingStart" in EVENTS
