"""The seed's two complete examples in Python, end to end: Chromium + Pyodide + the emulator."""

from test_sdk_support import prelude, server_routes

CREATED = [["stateChange", "CREATING"], ["connectionChange", "CONNECTING"],
           ["connectionChange", "CONNECTED"], ["stateChange", "READY"]]
ENDED = [["connectionChange", "CLOSED"], ["stateChange", "ENDED"]]


def test_fe_only_seed_example(py):
    prelude(py)
    result = py.run("""
        session = new_session("your-kaltura-session", logLevel="info")
        started = time.monotonic()
        await session.create_session({"avatarId": "avatar-123", "voiceId": "voice-456",
                                      "videoContainerId": "avatar-container"})
        ready_s = time.monotonic() - started
        [session.get_session_id(), session.get_session_state(), session.get_connection_state(), ready_s,
         session.connect_time_s, video_dom(), await frames(session)]
    """)
    session_id, state, connection, ready_s, connect_s, dom, frames0 = result
    print(f"create_session {ready_s * 1000:.0f} ms; offer -> first frame {connect_s * 1000:.0f} ms")
    assert (state, connection) == ("READY", "CONNECTED")
    assert py.run("names()") == CREATED
    assert len(dom) == 1
    video = dom[0]
    assert video["parent"] == "avatar-container" and video["autoplay"] and video["playsinline"]
    assert (video["width"], video["height"], video["objectFit"]) == ("100%", "100%", "cover")
    assert video["tracks"] == ["audio", "video"] and not video["muted"]
    assert "your-kaltura-session" not in video["html"]
    assert frames0 > 0
    server = py.emulator.session(session_id)
    assert server["state"] == "active" and server["viewers"] == 1 and server["avatar_id"] == "avatar-123"

    py.run("""
        await asyncio.sleep(0.5)
        frames_before = await frames(session)
        await session.say_text("Hello from Kaltura Avatar!")
        await until(lambda: names("speakingEnd"), timeout=15)
        frames_after = await frames(session)
    """)
    assert py.run("frames_after > frames_before") is True
    assert py.run("names('speakingStart', 'speakingEnd')") == [["speakingStart", None], ["speakingEnd", None]]
    speech = py.emulator.session(session_id)["speech"]
    assert len(speech) == 1

    py.run("await session.end_session()")
    assert py.run("names()")[-2:] == ENDED
    assert py.run("[video_dom(), session._media, browser.live_proxies(), session.get_session_state()]") == \
        [[], None, 0, "ENDED"]
    server = py.emulator.session(session_id)
    assert server["state"] == "ended" and server["viewers"] == 0
    routes = server_routes(py.emulator)
    assert "whep-delete" in routes and "end" in routes
