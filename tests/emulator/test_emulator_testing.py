"""kaltura_avatar_emulator.testing, what the pytest plugin hands a test: starting (and failing to
start) an emulator, the test controls as Python calls, and clear errors when a call cannot work."""
from __future__ import annotations

import socket

import pytest

from kaltura_avatar_emulator.testing import AvatarEmulator, EmulatorError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with AvatarEmulator.start(log=tmp_path_factory.mktemp("testing") / "emulator.log") as started:
        yield started


@pytest.fixture
def fresh(emulator):
    emulator.reset()
    return emulator


def new_session(emulator) -> str:
    return emulator.call("POST", "/api/create-avatar-session", {"avatarId": "avatar-123"})["sessionId"]


def test_a_failed_start_says_why_from_the_emulator_s_own_log(tmp_path):
    with pytest.raises(EmulatorError) as failed:
        AvatarEmulator.start("--root", str(tmp_path), pages=tmp_path, log=tmp_path / "emulator.log")
    assert "did not start" in str(failed.value) and "run `make setup`" in str(failed.value)


def test_the_origin_is_a_free_loopback_port_and_the_api_base_follows(fresh):
    assert fresh.origin.startswith("http://127.0.0.1:") and not fresh.origin.endswith(":8000")
    assert fresh.api_base == fresh.origin + "/v1/avatar-session"
    assert fresh.page_url("/a/b.html") == fresh.page_url("a/b.html") == fresh.origin + "/a/b.html"


def test_a_fault_with_retry_after_is_queued_as_the_contract_says_and_cleared(fresh):
    fresh.fault("say-text", 2, status=503, retry_after=1.5)
    fresh.fault("create", hang=0.2)
    assert fresh.call("GET", "/__test__/faults") == {
        "say-text": [{"count": 2, "status": 503, "hang": 0.0, "drop": False, "headers": {"Retry-After": "1.5"}, "body": None,
                      "no_media": False, "session": None}],
        "create": [{"count": 1, "status": None, "hang": 0.2, "drop": False, "headers": {}, "body": None,
                    "no_media": False, "session": None}],
    }
    fresh.clear_faults()
    assert fresh.call("GET", "/__test__/faults") == {}


def test_expire_and_drop_media_name_the_one_active_session_or_ask_which(fresh):
    first, second = new_session(fresh), new_session(fresh)
    with pytest.raises(EmulatorError, match="2 active sessions"):
        fresh.expire()
    fresh.expire(first)
    fresh.drop_media()  # the one still active
    fresh.expire()
    assert [(s["id"], s["ended_reason"]) for s in fresh.sessions()] == [(first, "idle-timeout"), (second, "idle-timeout")]
    with pytest.raises(EmulatorError, match="0 active sessions"):
        fresh.drop_media()


def test_a_refused_control_and_a_stopped_emulator_are_clear_errors(fresh):
    with pytest.raises(EmulatorError, match=r"POST /__test__/faults -> 400: .*route must be one of"):
        fresh.fault("no-such-route")
    fresh.clear_requests()
    assert fresh.requests() == [] and fresh.speech() == []
    with socket.socket() as unused:  # a port nothing listens on: an emulator that has stopped
        unused.bind(("127.0.0.1", 0))
        gone = AvatarEmulator(f"http://127.0.0.1:{unused.getsockname()[1]}")
    with pytest.raises(EmulatorError, match="did not answer GET /__test__/sessions .*has it stopped"):
        gone.sessions()
