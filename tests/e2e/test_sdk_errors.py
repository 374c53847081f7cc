"""Every error path a user can hit, with the right code and state, against the real emulator."""

from sdk_support import poll, prelude, server_routes

HTTP_ERRORS = r"Failed to load resource: the server responded with a status of (401|403|404|409|410|500|503)"


def test_unauthorized_ks_forbidden_ks_and_a_foreign_token(py):
    py.allow_console_error(HTTP_ERRORS)
    prelude(py)
    py.emulator.fault("create", status=401, body={"success": False, "error": "Invalid Kaltura Session"})
    result = py.run("""
        s401 = new_session("expired-ks")
        r401 = await attempt(s401.create_session("avatar-123", None, "avatar-container"), s401)
        first = names()
        events.clear()
        s403 = new_session("forbidden-ks")
        r403 = await attempt(s403.create_session("avatar-123"), s403)
        [r401, first, r403, video_dom()]
    """)
    assert result == [
        ["UNAUTHORIZED", "ERROR", "DISCONNECTED"],
        [["stateChange", "CREATING"], ["stateChange", "ERROR"], ["error", "UNAUTHORIZED"]],
        ["UNAUTHORIZED", "ERROR", "DISCONNECTED"],
        [],
    ]
    # Two real sessions; the token of one is refused for the other.
    one = py.emulator.call("GET", "/api/create-avatar-session")
    two = py.emulator.call("GET", "/api/create-avatar-session")
    result = py.run(f"""
        events.clear()
        foreign = new_session(None)
        [await attempt(foreign.init_session({{"sessionId": "{one['sessionId']}", "token": "{two['token']}"}}), foreign),
         names(), foreign.get_session_id(), browser.live_proxies()]
    """)
    assert result[0] == ["UNAUTHORIZED", "ERROR", "DISCONNECTED"]
    assert result[1] == [["stateChange", "CREATING"], ["stateChange", "ERROR"], ["error", "UNAUTHORIZED"]]
    assert result[3] == 0
    assert py.emulator.session(one["sessionId"])["state"] == "active"  # not ours to end
    assert len([s for s in py.emulator.sessions() if s["state"] == "active"]) == 2


def test_a_force_expired_session_ends_at_its_next_keep_alive_or_call(py):
    """The keep-alive schedule and the retries are in test_inputs.py and test_faults.py."""
    py.allow_console_error(HTTP_ERRORS)
    prelude(py)
    session_id = py.run("""
        kept = new_session(keepAliveIntervalS=0.5)
        await kept.create_session("avatar-123", None, "avatar-container")
        kept.get_session_id()
    """)
    py.emulator.expire(session_id)
    result = py.run("""
        await until(lambda: kept.get_session_state() == "ENDED", timeout=5)
        [names()[-3:], video_dom(), browser.live_proxies()]
    """)
    assert result == [[["connectionChange", "CLOSED"], ["stateChange", "ENDED"], ["error", "SESSION_NOT_FOUND"]],
                      [], 0]

    # A force-expired session answers say_text with 404/410: SESSION_NOT_FOUND, and the session ends.
    session_id = py.run("""
        expiring = new_session()
        await expiring.create_session("avatar-123")
        expiring.get_session_id()
    """)
    py.emulator.expire(session_id)
    assert py.run("await attempt(expiring.say_text('anyone there?'), expiring)") == \
        ["SESSION_NOT_FOUND", "ENDED", "CLOSED"]


def test_end_during_create_then_tab_close(py):
    py.allow_console_error(HTTP_ERRORS)
    prelude(py)
    # end_session while create_session waits on a slow create: both return, the session is ended.
    py.emulator.fault("create", count=1, hang=1.0)
    py.run("""
        slow = new_session()
        creating = asyncio.ensure_future(attempt(slow.create_session("avatar-123", None, "avatar-container"), slow))
    """)
    poll(lambda: "create" in server_routes(py.emulator))  # the server holds the create: end now
    result = py.run("""
        await slow.end_session()
        outcome = await creating
        [outcome, names(), video_dom(), browser.live_proxies(), slow.get_session_id()]
    """)
    assert result[0] == ["INVALID_STATE", "ENDED", "CLOSED"]
    assert [e for e in result[1] if e[0] != "error"] == [["stateChange", "CREATING"],
                                                         ["connectionChange", "CLOSED"], ["stateChange", "ENDED"]]
    assert result[2:4] == [[], 0]
    assert py.emulator.session(result[4])["state"] == "ended"  # the session the slow create made

    session_id = py.run("""
        live = new_session()
        await live.create_session("avatar-123", None, "avatar-container")
        live.get_session_id()
    """)

    # The tab goes away: the session is ended with keepalive requests, the WHEP resource deleted.
    py.emulator.call("DELETE", "/__test__/requests")
    py.page.goto("about:blank")
    poll(lambda: py.emulator.session(session_id)["state"] == "ended", 5)
    assert {"whep-delete", "end"} <= set(server_routes(py.emulator))
