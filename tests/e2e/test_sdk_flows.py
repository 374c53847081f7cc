"""The seed's two complete examples in Python, end to end: Chromium + Pyodide + the emulator."""

from sdk_support import prelude, server_routes

CREATED = [["stateChange", "CREATING"], ["connectionChange", "CONNECTING"],
           ["connectionChange", "CONNECTED"], ["stateChange", "READY"]]
ENDED = [["connectionChange", "CLOSED"], ["stateChange", "ENDED"]]


LIVE_BASE = "https://api.avatar.us.kaltura.ai/v1/avatar-session"  # the seed's; answered by the emulator


def test_fe_only_seed_example(py):
    py.guard.route_host("https://api.avatar.us.kaltura.ai", py.emulator.url)
    prelude(py, LIVE_BASE)
    result = py.run("""
        session = new_session("your-kaltura-session", logLevel="info")
        started = time.monotonic()
        await session.create_session({"avatarId": "avatar-123", "voiceId": "voice-456",
                                      "videoContainerId": "avatar-container"})
        ready_s = time.monotonic() - started
        [session.get_session_id(), session.get_session_state(), session.get_connection_state(), ready_s,
         session.connect_time_s, video_dom(), await frames_flow()]
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
    assert frames0 is True  # frames go on coming (getStats may lag the first one by ~50 ms)
    server = py.emulator.session(session_id)
    assert server["state"] == "active" and server["viewers"] == 1 and server["avatar_id"] == "avatar-123"

    py.run("""
        frames_before = await frames()
        await session.say_text("Hello from Kaltura Avatar!")
        await until(lambda: names("speakingEnd"), timeout=15)
        frames_after = await frames()
    """)
    assert py.run("frames_after > frames_before") is True
    assert py.run("names('speakingStart', 'speakingEnd')") == [["speakingStart", None], ["speakingEnd", None]]
    speech = py.emulator.session(session_id)["speech"]
    assert len(speech) == 1

    py.run("await session.end_session()")
    assert py.run("names()")[-2:] == ENDED
    assert py.run("[video_dom(), open_peers(), browser.live_proxies(), session.get_session_state()]") == \
        [[], 0, 0, "ENDED"]
    server = py.emulator.session(session_id)
    assert server["state"] == "ended" and server["viewers"] == 0
    log = dict(zip(server_routes(py.emulator), py.emulator.requests()))  # the last request of each route
    assert log["create"]["body"] == {"clientId": "kaltura-avatar-sdk", "visualConfig": {"id": "avatar-123"},
                                     "voiceConfig": {"id": "voice-456"}}
    patch = {k.lower(): v for k, v in log["whep-patch"]["headers"].items()}  # candidates trickled after the POST
    assert patch["content-type"] == "application/trickle-ice-sdpfrag" and patch["if-match"]
    assert "whep-delete" in log and "end" in log


def test_be_created_seed_example_keeps_the_token_out_of_dom_urls_and_logs(py):
    console = []
    py.page.on("console", lambda m: console.append(m.text))
    prelude(py)
    turn_id, session_id, token = py.run("""
        r = await js.fetch("/api/create-avatar-session")
        data = (await r.json()).to_py()
        session = new_session(None, logLevel="debug")
        await session.init_session({"sessionId": data["sessionId"], "token": data["token"]},
                                   {"videoContainerId": "avatar-container"})
        turn_id = f"turn-{int(time.time() * 1000)}"
        await session.say_text("Hello from backend-created session!", turn_id, True)
        await until(lambda: names("speakingEnd"), timeout=15)
        await session.end_session()
        [turn_id, data["sessionId"], data["token"]]
    """)
    assert py.run("names('stateChange', 'connectionChange')") == CREATED + ENDED
    assert py.run("names('speakingStart', 'speakingEnd')") == [["speakingStart", None], ["speakingEnd", None]]
    assert py.run("[video_dom(), browser.live_proxies()]") == [[], 0]
    assert [s["turn_id"] for s in py.emulator.session(session_id)["speech"]] == [turn_id]
    assert py.emulator.session(session_id)["state"] == "ended"
    # The token went only into Authorization headers: never a URL, the DOM, or a log line.
    session_calls = [r for r in py.emulator.requests() if r["path"].startswith(f"/v1/avatar-session/{session_id}/")]
    assert session_calls and all("authorization" in {k.lower() for k in r["headers"]} for r in session_calls)
    assert not any(token in r["path"] or token in str(r["query"]) for r in py.emulator.requests())
    assert not any(token in url for url in py.guard.requests)
    assert token not in py.page.content()
    assert any("stateChange" in line for line in console) and not any(token in line for line in console)


def test_attach_avatar_before_the_stream_then_moved_and_a_missing_container(py):
    prelude(py)
    before = py.run("""
        session = new_session()
        session.attach_avatar("avatar-container")
        video_dom()
    """)
    assert len(before) == 1 and before[0]["parent"] == "avatar-container" and before[0]["tracks"] == []
    py.run("""
        await session.create_session("avatar-123", "voice-456")
        js.document.querySelector("video").dataset.mark = "the-one"
        session.attach_avatar("other-container")
        flowing = await frames_flow()
    """)
    (moved,) = py.run("video_dom()")
    assert moved["parent"] == "other-container" and 'data-mark="the-one"' in moved["html"]
    assert moved["tracks"] == ["audio", "video"] and not moved["paused"] and not moved["muted"]
    assert py.run("flowing") is True  # frames decoded keep increasing after the move
    assert py.run("await attempt(lambda: session.attach_avatar('no-such-div'), session)") == \
        ["INVALID_CONFIGURATION", "READY", "CONNECTED"]
    py.run("await session.end_session()")
    assert py.run("[video_dom(), browser.live_proxies()]") == [[], 0]


BLOCK_AUTOPLAY_WITH_SOUND = """() => {
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
        return this.muted ? play.call(this) : Promise.reject(new DOMException("blocked", "NotAllowedError"));
    };
}"""


def test_blocked_autoplay_plays_muted_then_sound_at_the_next_gesture(py):
    warnings = []
    py.page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    py.page.evaluate(BLOCK_AUTOPLAY_WITH_SOUND)
    prelude(py)
    muted = py.run("""
        session = new_session()
        seen = []
        session.once("stateChange", lambda s: seen.append(str(s)))  # once: only the first change
        def never(*args):
            raise AssertionError("removed handler called")
        session.on("connectionChange", never)
        session.off("connectionChange", never)
        await session.create_session("avatar-123", None, "avatar-container")
        known_at_ready = session.is_muted()  # the page can tell the user at once
        await until(lambda: not video_dom()[0]["paused"])
        [video_dom()[0], known_at_ready]
    """)
    muted, known_at_ready = muted
    assert muted["muted"] and not muted["paused"] and known_at_ready is True
    assert any("Autoplay with sound was blocked" in w for w in warnings)
    # While muted, speaking is measured by WebAudio instead of the element's audio stats.
    py.run("""
        await session.say_text("Speaking while the page is muted.")
        await until(lambda: names("speakingEnd"), timeout=20)
    """)
    assert py.run("names('speakingStart', 'speakingEnd')") == [["speakingStart", None], ["speakingEnd", None]]
    py.page.click("#gesture")
    assert py.run("[video_dom()[0]['muted'], session.is_muted(), seen]") == [False, False, ["CREATING"]]

    # Repeated sessions leave no element, peer connection, proxy or server session behind.
    result = py.run("""
        closed = []
        await session.end_session()
        for _ in range(2):
            again = new_session()
            await again.create_session("avatar-123", None, "avatar-container")
            pc = last_peer()
            await again.end_session()
            closed.append(str(pc.connectionState))
        [closed, video_dom(), browser.live_proxies(), len(js.document.querySelectorAll("video"))]
    """)
    assert result == [["closed", "closed"], [], 0, 0]
    assert {s["state"] for s in py.emulator.sessions()} == {"ended"}
