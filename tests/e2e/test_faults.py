"""The fault matrix in Chromium: every Control API route x every way a server fails, against the
emulator's test controls. One page and one Pyodide load for the module; cases on a route of a live
session share a READY session, which a case leaves READY unless the fault ends it.

Each case asserts what the caller sees (the code, ``details``, the session and connection state,
the error event), what the server saw (how many attempts, their statuses, the delays between
them, from the emulator's request log), and that nothing leaked: pending asyncio tasks, open peer
connections, proxies, ``<video>`` elements, sessions on the emulator.

Decisions where the issue and protocol.md could be read two ways (a demanding user's reading):
- 404/410 on ``create`` is ``API_REQUEST_FAILED``, not ``SESSION_NOT_FOUND``: there is no
  session yet, the base URL is wrong; the state is ``ERROR`` like every other failed create.
- 404/410 on ``init-client`` ends the start as ``ENDED`` (the session is gone, as on any
  session route), not ``ERROR``.
- ``end`` answered 404/410 resolves quietly: the session is over, which is what was asked.
  Any other failure of ``end`` raises, yet the session is ``ENDED``/``CLOSED`` here all the same.
- A keep-alive failure is an ``error`` event (no caller to raise to); the session stays READY.
"""

import time
from dataclasses import dataclass

import pytest

from sdk_support import active_sessions, gaps, poll, prelude

RETRY = {"maxAttempts": 3, "initialDelayMs": 100, "backoffMultiplier": 10, "maxDelayMs": 300}
DELAYS = [0.1, 0.3]  # RETRY's backoff: 100 ms, then 100 x 10 capped at 300 ms
TIMEOUT_S = 0.8  # request_timeout_s of the sessions the hang cases run on
LATE_S = 0.6  # how late a retry may come on a loaded 2-core machine
ROUTES = ["create", "init-client", "say-text", "say-audio", "interrupt", "keep-alive", "end"]
MALFORMED = "<html>502 Bad Gateway</html>"  # a 2xx whose body is no success object


@dataclass(frozen=True)
class Fault:
    faults: list[dict]
    attempts: int  # requests the server sees
    code: str | None = None  # None: the call recovers
    status: int | None = None  # details.status of the error
    config: str = "matrix"
    failed_status: int | None = None  # the status the failing attempts were answered with


def _status(status):
    return Fault([{"status": status}], 1, "UNAUTHORIZED" if status in (401, 403) else "SESSION_NOT_FOUND",
                 status, failed_status=status)


KINDS = {
    "500 once": Fault([{"status": 500}], 2, failed_status=500),
    "500 always": Fault([{"count": 3, "status": 500}], 3, "API_REQUEST_FAILED", 500, failed_status=500),
    "429 Retry-After": Fault([{"status": 429, "headers": {"Retry-After": "1"}}], 2, failed_status=429),
    "hang": Fault([{"count": 2, "hang": 2.5, "status": 504}], 2, "API_REQUEST_FAILED", None, "hang"),
    "connection reset": Fault([{"drop": True}], 2),
    "malformed 2xx": Fault([{"status": 200, "body": MALFORMED}], 1, "API_REQUEST_FAILED", 200, failed_status=200),
    "401": _status(401), "403": _status(403), "404": _status(404), "410": _status(410),
}

PAGE = r'''
RETRY = __RETRY__
CONFIGS = {"matrix": {"retryConfig": RETRY, "requestTimeoutS": 3.0, "keepAliveIntervalS": 0.3},
           "hang": {"retryConfig": {**RETRY, "maxAttempts": 2}, "requestTimeoutS": __TIMEOUT__,
                    "keepAliveIntervalS": 0.3}}
MP3 = bytes.fromhex(__MP3__)
shared, errors, case = {}, {}, None

def track(s):
    errors[id(s)] = []
    s.on("error", lambda e: errors[id(s)].append(e.to_dict()))
    return s

async def prepare(route, config):
    """The session the case runs on: a new one for create/init-client, a new READY one for end,
    else the shared READY session of that config (made again if a case ended it)."""
    global case
    if route in ("create", "init-client"):
        case = track(new_session(**CONFIGS[config]))
    elif route == "end":
        case = track(new_session(**CONFIGS[config]))
        await case.create_session("avatar-123", None, "avatar-container")
    else:
        s = shared.get(config)
        if s is None or s.get_session_state() != "READY":
            s = shared[config] = track(new_session(**CONFIGS[config]))
            await s.create_session("avatar-123", None, "avatar-container")
        case = s
    return {"leaks": leaks(), "errors": len(errors[id(case)]), "session_id": case.get_session_id()}

async def trigger(route, seen, wait_error):
    calls = {"create": lambda: case.create_session("avatar-123", None, "avatar-container"),
             "say-text": lambda: case.say_text("Hello there."),
             "say-audio": lambda: case.say_audio(MP3, "turn-audio", 0.3),
             "interrupt": case.interrupt, "end": case.end_session}
    calls["init-client"] = calls["create"]
    raised, started = None, time.monotonic()
    if route != "keep-alive":
        try:
            await calls[route]()
        except AvatarError as err:
            raised = err.to_dict()
    elif wait_error:  # keep-alive has no caller: its failure is an error event
        await until(lambda: len(errors[id(case)]) > seen, timeout=15)
    return {"raised": raised, "errors": errors[id(case)][seen:], "took": time.monotonic() - started,
            "state": case.get_session_state(), "connection": case.get_connection_state(),
            "session_id": case.get_session_id()}

async def cleanup(route):
    if route in ("create", "init-client") and case.get_session_state() == "READY":
        await case.end_session()
    return leaks()
'''


@pytest.fixture(scope="module")
def harness(module_py, make_mp3):
    module_py.allow_console_error(r"Failed to load resource")
    prelude(module_py)
    module_py.run(PAGE.replace("__RETRY__", repr(RETRY)).replace("__TIMEOUT__", repr(TIMEOUT_S))
                  .replace("__MP3__", repr(make_mp3(0.3).hex())))
    return module_py


def expected_states(route: str, kind: Fault, name: str) -> tuple[str | None, str, str]:
    """(code raised or emitted, session state, connection state) after the case."""
    gone = name in ("404", "410")
    if route == "create":
        if kind.code is None:
            return None, "READY", "CONNECTED"
        return ("API_REQUEST_FAILED" if gone else kind.code), "ERROR", "DISCONNECTED"
    if route == "end":
        return (None if gone else kind.code), "ENDED", "CLOSED"
    if gone:
        return kind.code, "ENDED", "CLOSED"
    if kind.code is not None and route == "init-client":
        return kind.code, "ERROR", "DISCONNECTED"
    return kind.code, "READY", "CONNECTED"


def check_error(error: dict, route: str, code: str, kind: Fault, name: str) -> None:
    details = error["details"]
    assert error["code"] == code
    assert details["route"] == route and details["attempts"] == kind.attempts
    status = kind.status if not (route == "create" and name in ("404", "410")) else int(name)
    assert details["status"] == status
    if name == "hang":
        assert details["timeout"] is True
    message = error["message"]
    assert len(message) > 15 and "test-ks" not in message and "test-ks" not in str(details)


def check_timing(route: str, kind: Fault, name: str, times: list[float], took: float) -> None:
    """The delays between attempts, as the server saw them."""
    if name == "500 always":  # initialDelayMs, then x backoffMultiplier, capped at maxDelayMs
        for gap, delay in zip(gaps(times), DELAYS):
            assert delay * 0.95 <= gap < delay + LATE_S, (gaps(times), DELAYS)
    elif name == "429 Retry-After":
        assert gaps(times)[0] >= 0.95, gaps(times)  # Retry-After: 1 outweighs initialDelayMs
    elif name == "hang":  # each attempt is given up at the timeout, then the backoff
        assert gaps(times)[0] >= TIMEOUT_S + DELAYS[0] - 0.05, gaps(times)
        if route != "keep-alive":
            budget = kind.attempts * TIMEOUT_S + DELAYS[0]
            assert budget - 0.05 <= took < budget + LATE_S * 2, took


@pytest.mark.parametrize("name", list(KINDS))
@pytest.mark.parametrize("route", ROUTES)
def test_a_control_route_fault(harness, route, name):
    kind = KINDS[name]
    emulator = harness.emulator
    code, state, connection = expected_states(route, kind, name)
    before = harness.run(f"await prepare({route!r}, {kind.config!r})")
    emulator.call("DELETE", "/__test__/requests")
    for fault in kind.faults:  # on a live session, for its requests only (others run beside it)
        emulator.fault(route, **fault, **({"session": before["session_id"]} if before["session_id"] else {}))
    faulted_at = time.time()  # the emulator's log shares this clock
    waits_error = route == "keep-alive" and code is not None
    out = harness.run(f"await trigger({route!r}, {before['errors']}, {waits_error})")
    sid = before["session_id"]
    log = case_log(emulator, route, sid, faulted_at)
    if route == "keep-alive" and code is None:  # recovered: wait for the keep-alive that got through
        poll(lambda: any(r["status"] == 200 for r in case_log(emulator, route, sid, faulted_at)), 15)
        log = case_log(emulator, route, sid, faulted_at)
    attempts = log[: kind.attempts]
    failed = [r for r in attempts if r["status"] != 200 or name == "malformed 2xx"]

    # What the caller sees.
    assert [out["state"], out["connection"]] == [state, connection]
    if code is None:
        assert out["raised"] is None and out["errors"] == []
    else:
        error = out["errors"][0] if route == "keep-alive" else out["raised"]
        check_error(error, route, code, kind, name)
        if route != "keep-alive":  # raised, and the same error emitted as the event
            assert [e["code"] for e in out["errors"]] == [code]
    # What the server saw: exactly the attempts expected, the failing ones answered as injected.
    if route != "keep-alive":
        assert len(log) == kind.attempts, [r["status"] for r in log]
    recovered = 1 if kind.code is None else 0  # the last attempt got through
    assert len(failed) == kind.attempts - recovered, [r["status"] for r in attempts]
    if kind.failed_status is not None:
        assert {r["status"] for r in failed} == {kind.failed_status}
    check_timing(route, kind, name, [r["t"] for r in attempts], out["took"])

    # Nothing leaked: in the page, and on the server.
    after = harness.run(f"await cleanup({route!r})")
    assert all(after[k] <= before["leaks"][k] for k in after), (before["leaks"], after)
    if route in ("create", "init-client") and code is not None:
        assert after["videos"] == before["leaks"]["videos"]  # the failed start left no <video>
    lied = name in ("404", "410") or (route == "end" and code is not None)  # the server kept it
    sid = out["session_id"] or sid
    if lied and sid:
        emulator.expire(sid)
    shared = harness.run("[s.get_session_id() for s in shared.values() if s.get_session_state() == 'READY']")
    assert set(active_sessions(emulator)) <= set(shared)


def case_log(emulator, route: str, sid: str | None, faulted_at: float) -> list[dict]:
    """The emulator's log of ``route``, for session ``sid`` when the case runs on one, but a request
    answered normally that came before the faults were set (a keep-alive every 0.3 s can come
    between clearing the log and setting them)."""
    return [r for r in emulator.requests() if r["route"] == route and (sid is None or f"/{sid}/" in r["path"])
            and not (r["status"] == 200 and r["t"] < faulted_at)]




def test_every_session_ends_and_nothing_is_left(harness):
    result = harness.run("""
        for s in shared.values():
            await s.end_session()
        [leaks(), [s.get_session_state() for s in shared.values()]]
    """)
    assert result[0] == {"tasks": 0, "peers": 0, "proxies": 0, "videos": 0}
    assert set(result[1]) <= {"ENDED"}
    assert active_sessions(harness.emulator) == []
