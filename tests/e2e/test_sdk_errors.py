"""Every error path a user can hit, with the right code and state, against the real emulator."""

import time

from sdk_support import prelude, server_routes

HTTP_ERRORS = r"Failed to load resource: the server responded with a status of (401|403|404|409|410|500|503)"


def test_bad_inputs_and_wrong_states(py, make_mp3):
    prelude(py)
    mp3_48k = make_mp3(0.3, rate=48000).hex()
    result = py.run(f"""
        out = {{}}
        for name, config in {{"no base_url": {{}}, "bad url": {{"baseUrl": "ftp://x"}},
                              "retry": {{"baseUrl": BASE, "retryConfig": {{"maxAttempts": 0}}}},
                              "level": {{"baseUrl": BASE, "logLevel": "loud"}}}}.items():
            out[name] = await attempt(lambda: KalturaAvatarSession("ks", config))
        session = new_session(None)
        out["create without api_key"] = await attempt(session.create_session("avatar-123"), session)
        session = new_session()
        out["missing container"] = await attempt(session.create_session("avatar-123", None, "nope"), session)
        out["say before ready"] = await attempt(session.say_text("hi"), session)
        out["end before create"] = await attempt(session.end_session(), session)
        out["bad event"] = await attempt(lambda: session.on("speaking", print), session)
        await session.create_session({{"avatarId": "avatar-123"}})
        out["create twice"] = await attempt(session.create_session("avatar-123"), session)
        out["empty text"] = await attempt(session.say_text("  "), session)
        out["text not a string"] = await attempt(session.say_text(42), session)
        out["no turn id"] = await attempt(session.say_audio(b"x", None, 1.0), session)
        out["zero duration"] = await attempt(session.say_audio(b"x", "t", 0), session)
        out["MP3 at 48 kHz"] = await attempt(session.say_audio(bytes.fromhex("{mp3_48k}"), "t", 0.3), session)
        out["not audio"] = await attempt(session.say_audio(js.Blob.new(to_js(["RIFF....WAVE"])), "t", 1.0), session)
        out["not a blob"] = await attempt(session.say_audio(js.document.body, "t", 1.0), session)
        await session.end_session()
        out["say after end"] = await attempt(session.say_text("hi"), session)
        out["end twice"] = await attempt(session.end_session(), session)
        out["attach after end"] = await attempt(lambda: session.attach_avatar("avatar-container"), session)
        out["errors emitted"] = len(names("error"))
        out
    """.replace("to_js(", "__import__('pyodide.ffi').ffi.to_js("))
    bad_config = ["INVALID_CONFIGURATION", None, None]
    assert result == {
        "no base_url": bad_config, "bad url": bad_config, "retry": bad_config, "level": bad_config,
        "create without api_key": ["INVALID_CONFIGURATION", "IDLE", "DISCONNECTED"],
        "missing container": ["INVALID_CONFIGURATION", "IDLE", "DISCONNECTED"],
        "say before ready": ["INVALID_STATE", "IDLE", "DISCONNECTED"],
        "end before create": ["no error", "IDLE", "DISCONNECTED"],  # nothing to end: quietly nothing
        "bad event": ["INVALID_CONFIGURATION", "IDLE", "DISCONNECTED"],
        "create twice": ["INVALID_STATE", "READY", "CONNECTED"],
        "empty text": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "text not a string": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "no turn id": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "zero duration": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "MP3 at 48 kHz": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "not audio": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "not a blob": ["INVALID_CONFIGURATION", "READY", "CONNECTED"],
        "say after end": ["INVALID_STATE", "ENDED", "CLOSED"],
        "end twice": ["no error", "ENDED", "CLOSED"],  # idempotent, as close() is
        "attach after end": ["INVALID_STATE", "ENDED", "CLOSED"],
        "errors emitted": 14,  # every error raised by a session (not the constructor) is also an event
    }
    routes = server_routes(py.emulator)
    assert "say-text" not in routes and "say-audio" not in routes  # nothing bad was sent


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


def test_expired_sessions_keep_alive_schedule_and_retries(py):
    py.allow_console_error(HTTP_ERRORS)
    prelude(py)
    # Keep-alive on schedule (shortened to 0.5 s), then a force-expired session ends by keep-alive.
    session_id = py.run("""
        kept = new_session(keepAliveIntervalS=0.5)
        await kept.create_session("avatar-123", None, "avatar-container")
        await asyncio.sleep(2.3)
        kept.get_session_id()
    """)
    times = py.emulator.session(session_id)["keepalives"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) >= 4 and all(0.4 < g < 0.9 for g in gaps), times
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

    # A 5xx burst on create and keep-alive retries through; WHEP 409 waits its Retry-After.
    py.emulator.call("DELETE", "/__test__/requests")
    py.emulator.fault("create", count=2, status=503)
    py.emulator.fault("whep-post", count=1, status=409, headers={"Retry-After": "1"})
    py.emulator.fault("keep-alive", count=1, status=500)
    result = py.run("""
        events.clear()
        flaky = new_session(keepAliveIntervalS=0.5)
        started = time.monotonic()
        await flaky.create_session("avatar-123", None, "avatar-container")
        took = time.monotonic() - started
        await asyncio.sleep(1.3)
        [names(), took, flaky.get_session_state()]
    """)
    assert result[0] == [["stateChange", "CREATING"], ["connectionChange", "CONNECTING"],
                         ["connectionChange", "CONNECTED"], ["stateChange", "READY"]]  # no error event
    assert result[1] > 1.0 and result[2] == "READY"
    requests = py.emulator.requests()
    routes = server_routes(py.emulator)
    assert routes.count("create") == 3
    posts = [r["t"] for r, route in zip(requests, routes) if route == "whep-post"]
    assert len(posts) == 2 and posts[1] - posts[0] >= 0.95
    assert routes.count("keep-alive") >= 2
    py.run("await flaky.end_session()")


def test_end_during_create_then_recovery_then_tab_close(py):
    py.allow_console_error(HTTP_ERRORS)
    prelude(py)
    # end_session while create_session waits on a slow create: both return, the session is ended.
    py.emulator.fault("create", count=1, hang=1.0)
    result = py.run("""
        slow = new_session()
        async def end_soon():
            await asyncio.sleep(0.3)
            await slow.end_session()
        ending = asyncio.ensure_future(end_soon())
        outcome = await attempt(slow.create_session("avatar-123", None, "avatar-container"), slow)
        await ending
        [outcome, names(), video_dom(), browser.live_proxies(), slow.get_session_id()]
    """)
    assert result[0] == ["INVALID_STATE", "ENDED", "CLOSED"]
    assert [e for e in result[1] if e[0] != "error"] == [["stateChange", "CREATING"],
                                                         ["connectionChange", "CLOSED"], ["stateChange", "ENDED"]]
    assert result[2:4] == [[], 0]
    assert py.emulator.session(result[4])["state"] == "ended"  # the session the slow create made

    # Media dropped by the server: a fresh WHEP negotiation, the same <video> gets the new stream.
    session_id = py.run("""
        events.clear()
        live = new_session()
        await live.create_session("avatar-123", None, "avatar-container")
        js.document.querySelector("video").dataset.mark = "same"
        first_stream = js.document.querySelector("video").srcObject.id
        live.get_session_id()
    """)
    py.emulator.drop_media(session_id)
    result = py.run("""
        await until(lambda: names("connectionChange")[-1:] == [["connectionChange", "CONNECTED"]]
                    and len(names("connectionChange")) > 2, timeout=15)
        f1 = await frames()
        await asyncio.sleep(0.5)
        f2 = await frames()
        [names("connectionChange")[2:], video_dom(), f2 > f1, js.document.querySelector("video").srcObject.id != first_stream]
    """)
    assert result[0] == [["connectionChange", "DISCONNECTED"], ["connectionChange", "CONNECTING"],
                         ["connectionChange", "CONNECTED"]]
    (video,) = result[1]
    assert 'data-mark="same"' in video["html"] and not video["paused"]
    assert result[2:] == [True, True]
    assert py.emulator.session(session_id)["viewers"] == 1

    # The tab goes away: the session is ended with keepalive requests, the WHEP resource deleted.
    py.emulator.call("DELETE", "/__test__/requests")
    py.page.goto("about:blank")
    deadline = time.time() + 5
    while py.emulator.session(session_id)["state"] != "ended" and time.time() < deadline:
        time.sleep(0.1)
    assert py.emulator.session(session_id)["state"] == "ended"
    assert {"whep-delete", "end"} <= set(server_routes(py.emulator))
