"""Media and session-lifetime faults in Chromium: WHEP refusals, media that never starts, media
dropped mid-session, the server ending the session (idle expiry), and the emulator restarted
under a live session. One page for the module; each case starts its own session.

Every case asserts the final session and connection state, the error code and ``details``, what
the emulator saw (attempts, statuses, delays), and that nothing leaked in the page or on the server.

Decisions (a demanding user's reading of the issue and protocol.md):
- A lost connection walks CONNECTED -> DISCONNECTED -> CONNECTING -> CONNECTED: DISCONNECTED
  tells the page at once that the picture froze, before the reconnect begins.
- A session that ends while its media is being restored ends ``ENDED``/``CLOSED``; errors from
  the attempts to restore it may come before its ``SESSION_NOT_FOUND``, which comes last.
"""

import time

import pytest

from sdk_support import active_sessions, gaps, poll, prelude

RETRY = {"maxAttempts": 2, "initialDelayMs": 100, "backoffMultiplier": 2, "maxDelayMs": 400}
TIMEOUT_S = 0.8  # request_timeout_s
CONNECT_S = 2.0  # connect_timeout_s of the case where the media never starts
LATE_S = 1.2  # how late a deadline may be met on a loaded 2-core machine
NOTHING = {"tasks": 0, "peers": 0, "proxies": 0, "videos": 0}

PAGE = r'''
errors = []

def media_session(base=BASE, **config):
    s = new_session(**{"baseUrl": base, "retryConfig": __RETRY__, "requestTimeoutS": __TIMEOUT__, "connectTimeoutS": 8, **config})
    s.on("error", lambda e: errors.append(e.to_dict()))
    return s

async def start(s):
    errors.clear()
    started = time.monotonic()
    result = await attempt(s.create_session("avatar-123", None, "avatar-container"), s)
    return {"result": result, "took": time.monotonic() - started, "errors": list(errors),
            "session_id": s.get_session_id(), "leaks": leaks()}
'''


@pytest.fixture(scope="module")
def harness(module_py):
    module_py.allow_console_error(r"Failed to load resource")
    prelude(module_py)
    module_py.run(PAGE.replace("__RETRY__", repr(RETRY)).replace("__TIMEOUT__", repr(TIMEOUT_S)))
    return module_py


def whep_log(emulator) -> list[dict]:
    return [r for r in emulator.requests() if r["route"] == "whep-post"]


WHEP_REFUSALS = {  # fault -> (whep-posts the server sees, details.status)
    "404": ({"status": 404}, 1, 404),
    "415": ({"status": 415}, 1, 415),
    "hang": ({"count": 2, "hang": 2.5, "status": 504}, 2, None),
}


@pytest.mark.parametrize("name", list(WHEP_REFUSALS))
def test_a_refused_whep_offer_fails_the_start_and_ends_the_server_session(harness, name):
    """404 and 415 fail at once (no retry); a hang is given up after the attempts x the timeout."""
    fault, posts, status = WHEP_REFUSALS[name]
    harness.emulator.call("DELETE", "/__test__/requests")
    harness.emulator.fault("whep-post", **fault)
    out = harness.run("await start(media_session())")
    assert out["result"] == ["RTC_CONNECTION_FAILED", "ERROR", "FAILED"]
    (error,) = out["errors"]
    assert error["code"] == "RTC_CONNECTION_FAILED" and error["details"]["route"] == "whep"
    assert error["details"]["status"] == status and error["details"]["attempts"] == posts
    assert len(error["message"]) > 15 and "test-ks" not in error["message"]
    log = whep_log(harness.emulator)
    assert len(log) == posts
    if name == "hang":
        assert gaps([r["t"] for r in log])[0] >= TIMEOUT_S + 0.1 - 0.05
        assert posts * TIMEOUT_S <= out["took"] < posts * TIMEOUT_S + 0.1 + LATE_S
    assert out["leaks"] == NOTHING
    assert harness.emulator.session(out["session_id"])["state"] == "ended"  # the SDK ended what it made
    assert active_sessions(harness.emulator) == []


WHEP_RETRIED = {  # fault -> the least gap between the two offers
    "409 then success (Retry-After: 1)": ({"status": 409, "headers": {"Retry-After": "1"}}, 0.95),
    "500 once": ({"status": 500}, 0.1 * 0.95),
}


@pytest.mark.parametrize("name", list(WHEP_RETRIED))
def test_a_whep_offer_refused_once_is_retried_and_the_start_recovers(harness, name):
    fault, least_gap = WHEP_RETRIED[name]
    harness.emulator.call("DELETE", "/__test__/requests")
    harness.emulator.fault("whep-post", **fault)
    out = harness.run("s = media_session()\nawait start(s)")
    assert out["result"] == ["no error", "READY", "CONNECTED"] and out["errors"] == []
    log = whep_log(harness.emulator)
    assert [r["status"] for r in log] == [fault["status"], 201]
    assert gaps([r["t"] for r in log])[0] >= least_gap
    assert harness.run("await frames_flow()") is True
    assert harness.run("await s.end_session()\nleaks()") == NOTHING
    assert active_sessions(harness.emulator) == []


def test_media_that_never_starts_fails_after_the_connect_timeout(harness):
    harness.emulator.fault("whep-post", no_media=True)
    out = harness.run(f"await start(media_session(connectTimeoutS={CONNECT_S}))")
    assert out["result"] == ["RTC_CONNECTION_FAILED", "ERROR", "FAILED"]
    (error,) = out["errors"]
    assert error["details"]["timeout"] == CONNECT_S and "UDP" in error["message"]
    assert CONNECT_S <= out["took"] < CONNECT_S + LATE_S
    assert out["leaks"] == NOTHING
    assert harness.emulator.session(out["session_id"])["viewers"] == 0
    assert active_sessions(harness.emulator) == []


def test_media_dropped_mid_session_comes_back_in_the_same_video(harness):
    out = harness.run("""
        live = media_session()
        started = await start(live)
        video = js.document.querySelector("video")
        video.dataset.mark = "same"
        first_stream = video.srcObject.id
        events.clear()
        started
    """)
    assert out["result"] == ["no error", "READY", "CONNECTED"]
    harness.emulator.drop_media(out["session_id"])
    result = harness.run("""
        await until(lambda: names("connectionChange")[-1:] == [["connectionChange", "CONNECTED"]], timeout=15)
        await frames_flow()
        [names("connectionChange"), video_dom(), js.document.querySelector("video").srcObject.id != first_stream,
         open_peers(), live.get_session_state(), errors]
    """)
    walk, dom, new_stream, peers, state, errs = result
    assert walk == [["connectionChange", "DISCONNECTED"], ["connectionChange", "CONNECTING"],
                    ["connectionChange", "CONNECTED"]]
    (video,) = dom
    assert 'data-mark="same"' in video["html"] and not video["paused"] and new_stream
    assert peers == 1 and state == "READY" and errs == []  # the old peer connection was closed
    assert harness.emulator.session(out["session_id"])["viewers"] == 1
    assert harness.run("await live.end_session()\nleaks()") == NOTHING


@pytest.fixture(scope="module")
def other(start_another_emulator):
    """An emulator of its own (the page reaches it cross-origin) that reaps idle sessions after 1.5 s."""
    return start_another_emulator("--idle-timeout", "1.5")


def test_the_server_ending_an_idle_session_ends_it_within_one_keep_alive_interval(harness, other):
    interval = 3.0  # longer than the idle timeout: the server reaps the session between keep-alives
    out = harness.run(f"""
        idle = media_session({other.api_base!r}, keepAliveIntervalS={interval})
        await start(idle)
    """)
    assert out["result"] == ["no error", "READY", "CONNECTED"]
    sid = out["session_id"]
    ended_on_server = poll(lambda: other.session(sid)["state"] == "ended", 10)
    assert other.session(sid)["ended_reason"] == "idle-timeout"
    result = harness.run("""
        await until(lambda: idle.get_session_state() == "ENDED", timeout=10)
        [time.time(), idle.get_connection_state(), [e["code"] for e in errors], leaks()]
    """)
    ended_in_page, connection, codes, left = result
    assert ended_in_page - ended_on_server < interval + LATE_S
    assert connection == "CLOSED" and codes == ["SESSION_NOT_FOUND"] and left == NOTHING


def test_the_emulator_restarted_under_a_live_session_ends_it(harness, other, start_another_emulator):
    harness.allow_console_error(r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE")
    interval = 0.5
    out = harness.run(f"""
        doomed = media_session({other.api_base!r}, keepAliveIntervalS={interval})
        await start(doomed)
    """)
    assert out["result"] == ["no error", "READY", "CONNECTED"]
    port = other.url.rsplit(":", 1)[1]
    other.process.terminate()
    other.process.wait(timeout=10)
    restarted = start_another_emulator("--idle-timeout", "1.5", "--port", port)
    back = time.time()
    result = harness.run("""
        await until(lambda: doomed.get_session_state() == "ENDED", timeout=20)
        [time.time(), doomed.get_connection_state(), [e["code"] for e in errors], leaks()]
    """)
    ended_in_page, connection, codes, left = result
    # The first keep-alive after the restart hears 404: within one interval (and its retries).
    assert ended_in_page - back < interval + RETRY['initialDelayMs'] / 1000 + TIMEOUT_S + LATE_S
    assert connection == "CLOSED" and left == NOTHING
    assert codes[-1] == "SESSION_NOT_FOUND"
    assert set(codes) <= {"API_REQUEST_FAILED", "RTC_CONNECTION_FAILED", "SESSION_NOT_FOUND"}
    assert restarted.sessions() == []

