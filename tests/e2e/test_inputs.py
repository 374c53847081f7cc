"""The bad-input matrix in Chromium: every public method with wrong types, ``None``, empty and
100,000-character strings, audio that is not MP3 at 44.1 kHz, durations that are no length of
time, a missing container; each call in each state where it cannot run; calls that race each
other; ``log_level`` per session; keep-alive at its default 10 s. One page for the module.

A bad call raises the typed error with a message that names what to fix, changes no state,
sends nothing, and the session goes on working.

Decisions (a demanding user's reading):
- ``end_session()`` is always allowed: on a session never started it does nothing (IDLE stays
  IDLE); after ERROR it ends it; called again or concurrently it resolves with the one teardown.
- ``attach_avatar`` works before the session starts (the ``<video>`` waits for the stream), so
  only ENDED and ERROR refuse it.
- A 100,000-character text is spoken (sent as pieces of one turn); a 100,000-character avatar
  id is no local error: the server refuses it (413 here), so create fails ``API_REQUEST_FAILED``.
"""

import io
import time
import wave

import pytest

from sdk_support import active_sessions, poll, prelude, server_routes

KEEP_ALIVE_S = 10.0  # the default keep_alive_interval_s
OBSERVED_S = 25.0
HTTP_ERRORS = r"Failed to load resource: the server responded with a status of (401|413|504)"


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(44100)
        w.writeframes(b"\0\0" * 4410)
    return out.getvalue()


PAGE = r'''
from pyodide.ffi import to_js
MP3, MP3_48K, WAV = bytes.fromhex(__MP3__), bytes.fromhex(__MP3_48K__), bytes.fromhex(__WAV__)
LONG = "x" * 100_000
nan, inf = float("nan"), float("inf")
steady = new_session()  # every default: keep-alive every 10 s
await steady.create_session("avatar-123")
steady_ready = time.time()

async def outcome(call, session=None):
    """[code, message] of ``call`` (``["no error", None]`` when it works)."""
    try:
        result = call()
        if inspect.isawaitable(result):
            await result
    except AvatarError as err:
        return [err.code.value, err.message]
    return ["no error", None]

async def table(session, calls):
    """Each call's [code, message], and whether the session's states stayed as they were."""
    out = {}
    for label, call in calls.items():
        before = [session.get_session_state(), session.get_connection_state()] if session else None
        out[label] = await outcome(call)
        after = [session.get_session_state(), session.get_connection_state()] if session else None
        out[label].append(before == after)
    return out
'''


@pytest.fixture(scope="module")
def harness(module_py, make_mp3):
    module_py.allow_console_error(HTTP_ERRORS)
    console: list[str] = []
    module_py.page.on("console", lambda m: console.append(m.text))
    module_py.console = console
    prelude(module_py)
    module_py.run(PAGE.replace("__MP3__", repr(make_mp3(0.3).hex()))
                  .replace("__MP3_48K__", repr(make_mp3(0.3, rate=48000).hex()))
                  .replace("__WAV__", repr(wav_bytes().hex())))
    return module_py


CONFIG = "INVALID_CONFIGURATION"
CONSTRUCTOR = {  # label: (code, a word the message must name)
    "api_key 42": (CONFIG, "api_key"), "api_key empty": (CONFIG, "api_key"),
    "api_key with a space": (CONFIG, "api_key"), "config None": (CONFIG, "config"),
    "config a string": (CONFIG, "dict"), "config empty": (CONFIG, "base"),
    "baseUrl 42": (CONFIG, "base"), "baseUrl 100,000 characters": (CONFIG, "base"),
    "baseUrl ftp": (CONFIG, "base"), "unknown key": (CONFIG, "colour"),
    "connectTimeoutS negative": (CONFIG, "connect"), "connectTimeoutS zero": (CONFIG, "connect"),
    "connectTimeoutS NaN": (CONFIG, "connect"), "connectTimeoutS infinite": (CONFIG, "connect"),
    "maxAttempts zero": (CONFIG, "max"), "logLevel loud": (CONFIG, "log"),
}


def test_the_constructor_refuses_bad_config_with_a_message_naming_the_field(harness):
    result = harness.run("""
        def make(key, config):
            return lambda: KalturaAvatarSession(key, config)
        B = {"baseUrl": BASE}
        await table(None, {
            "api_key 42": make(42, B), "api_key empty": make("", B), "api_key with a space": make("a b", B),
            "config None": make("ks", None), "config a string": make("ks", "http://x"), "config empty": make("ks", {}),
            "baseUrl 42": make("ks", {"baseUrl": 42}), "baseUrl 100,000 characters": make("ks", {"baseUrl": LONG}),
            "baseUrl ftp": make("ks", {"baseUrl": "ftp://x"}), "unknown key": make("ks", {**B, "colour": 1}),
            "connectTimeoutS negative": make("ks", {**B, "connectTimeoutS": -1}),
            "connectTimeoutS zero": make("ks", {**B, "connectTimeoutS": 0}),
            "connectTimeoutS NaN": make("ks", {**B, "connectTimeoutS": nan}),
            "connectTimeoutS infinite": make("ks", {**B, "connectTimeoutS": inf}),
            "maxAttempts zero": make("ks", {**B, "retryConfig": {"maxAttempts": 0}}),
            "logLevel loud": make("ks", {**B, "logLevel": "loud"}),
        })
    """)
    check_table(result, CONSTRUCTOR)


def check_table(result: dict, expected: dict) -> None:
    assert set(result) == set(expected)
    for label, (code, word) in expected.items():
        got, message, unchanged = result[label]
        assert got == code, (label, got, message)
        assert unchanged, label
        if word is not None:
            assert word.lower() in message.lower().replace("_", "").replace(" ", "") or \
                word.lower() in message.lower(), (label, message)
            assert "test-ks" not in message


START = {
    "avatar_id None": (CONFIG, "avatar"), "avatar_id 42": (CONFIG, "avatar"), "avatar_id empty": (CONFIG, "avatar"),
    "voice_id 42": (CONFIG, "voice"), "voice_id empty": (CONFIG, "voice"),
    "container 42": (CONFIG, "container"), "container empty": (CONFIG, "container"),
    "container missing from the page": (CONFIG, "nope"), "options dict and arguments": (CONFIG, "either"),
    "options dict with an unknown key": (CONFIG, "colour"), "no api_key": (CONFIG, "api_key"),
    "init session_id None": (CONFIG, "session"), "init session_id 42": (CONFIG, "session"),
    "init token empty": (CONFIG, "token"), "init token with a newline": (CONFIG, "token"),
    "init token 100,000 characters with spaces": (CONFIG, "token"),
}


def test_starting_with_bad_arguments_fails_before_anything_is_sent(harness):
    harness.emulator.call("DELETE", "/__test__/requests")
    result = harness.run("""
        fresh = new_session()
        keyless = new_session(None)
        c = fresh.create_session
        i = keyless.init_session
        out = await table(fresh, {
            "avatar_id None": lambda: c(None), "avatar_id 42": lambda: c(42), "avatar_id empty": lambda: c(""),
            "voice_id 42": lambda: c("avatar-123", 42), "voice_id empty": lambda: c("avatar-123", ""),
            "container 42": lambda: c("avatar-123", None, 42), "container empty": lambda: c("avatar-123", None, ""),
            "container missing from the page": lambda: c("avatar-123", None, "nope"),
            "options dict and arguments": lambda: c({"avatarId": "avatar-123"}, "voice-456"),
            "options dict with an unknown key": lambda: c({"avatarId": "avatar-123", "colour": 1}),
            "no api_key": lambda: keyless.create_session("avatar-123"),
        })
        out.update(await table(keyless, {
            "init session_id None": lambda: i(None, "tok"), "init session_id 42": lambda: i(42, "tok"),
            "init token empty": lambda: i("sid", ""), "init token with a newline": lambda: i("sid", "a\\nb"),
            "init token 100,000 characters with spaces": lambda: i("sid", "a " * 50_000),
        }))
        [out, fresh.get_session_state(), keyless.get_session_state(), leaks()]
    """)
    check_table(result[0], START)
    assert result[1:3] == ["IDLE", "IDLE"]
    assert (result[3]["peers"], result[3]["videos"]) == (1, 0)  # the steady session's peer only
    assert set(server_routes(harness.emulator)) <= {"keep-alive"}  # the steady session's, nothing else
    # A 100,000-character avatar id is no local error: the server refuses it.
    huge = harness.run("""
        huge = new_session()
        [await outcome(lambda: huge.create_session(LONG)), huge.get_session_state(), leaks()["videos"]]
    """)
    assert huge[0][0] == "API_REQUEST_FAILED" and huge[1:] == ["ERROR", 0]
    assert server_routes(harness.emulator)[-1:] == ["create"]


READY_CALLS = {
    "say_text None": (CONFIG, "text"), "say_text 42": (CONFIG, "text"), "say_text empty": (CONFIG, "text"),
    "say_text blank": (CONFIG, "text"), "say_text turn_id 42": (CONFIG, "turn_id"),
    "say_text turn_id empty": (CONFIG, "turn_id"), "say_text is_final 'yes'": (CONFIG, "is_final"),
    "say_text is_final None": (CONFIG, "is_final"),
    "say_audio None": (CONFIG, "audio"), "say_audio 42": (CONFIG, "audio"), "say_audio a str": (CONFIG, "audio"),
    "say_audio empty bytes": (CONFIG, "audio"), "say_audio not MP3": (CONFIG, "mp3"),
    "say_audio WAV": (CONFIG, "mp3"), "say_audio MP3 at 48 kHz": (CONFIG, "44.1"),
    "say_audio a WAV Blob": (CONFIG, "mp3"), "say_audio a DOM node": (CONFIG, "audio"),
    "say_audio 100,000-character turn_id": ("no error", None),
    "say_audio turn_id None": (CONFIG, "turn_id"), "say_audio turn_id 42": (CONFIG, "turn_id"),
    "say_audio turn_id empty": (CONFIG, "turn_id"),
    "say_audio duration -1": (CONFIG, "duration"), "say_audio duration 0": (CONFIG, "duration"),
    "say_audio duration NaN": (CONFIG, "duration"), "say_audio duration infinite": (CONFIG, "duration"),
    "say_audio duration '1.0'": (CONFIG, "duration"), "say_audio duration None": (CONFIG, "duration"),
    "say_audio duration True": (CONFIG, "duration"),
    "attach_avatar None": (CONFIG, "container"), "attach_avatar 42": (CONFIG, "container"),
    "attach_avatar empty": (CONFIG, "container"), "attach_avatar missing div": (CONFIG, "nope"),
    "on unknown event": (CONFIG, "speaking"), "on event 42": (CONFIG, "event"), "on event None": (CONFIG, "event"),
    "once unknown event": (CONFIG, "speaking"), "off unknown event": (CONFIG, "speaking"),
    "create_session again": ("INVALID_STATE", "already"), "init_session again": ("INVALID_STATE", "already"),
}


def test_bad_arguments_on_a_ready_session_change_nothing_and_it_goes_on_working(harness):
    sid = harness.run("""
        ready = new_session()
        await ready.create_session("avatar-123", None, "avatar-container")
        ready.get_session_id()
    """)
    harness.emulator.call("DELETE", "/__test__/requests")
    # The server takes the long text's pieces without speaking them (100,000 characters would
    # take the emulator's TTS most of a minute): what is proved is what the SDK sends.
    harness.emulator.fault("say-text", count=500, status=200, body={"success": True}, session=sid)
    result = harness.run("""
        t, a = ready.say_text, ready.say_audio
        wav_blob = js.Blob.new(to_js([to_js(WAV)]), to_js({"type": "audio/wav"}))
        out = await table(ready, {
            "say_text None": lambda: t(None), "say_text 42": lambda: t(42), "say_text empty": lambda: t(""),
            "say_text blank": lambda: t("  \\n "), "say_text turn_id 42": lambda: t("hi", 42),
            "say_text turn_id empty": lambda: t("hi", ""), "say_text is_final 'yes'": lambda: t("hi", "t", "yes"),
            "say_text is_final None": lambda: t("hi", "t", None),
            "say_audio None": lambda: a(None, "t", 0.3), "say_audio 42": lambda: a(42, "t", 0.3),
            "say_audio a str": lambda: a("audio.mp3", "t", 0.3), "say_audio empty bytes": lambda: a(b"", "t", 0.3),
            "say_audio not MP3": lambda: a(b"not an mp3 " * 100, "t", 0.3), "say_audio WAV": lambda: a(WAV, "t", 0.1),
            "say_audio MP3 at 48 kHz": lambda: a(MP3_48K, "t", 0.3), "say_audio a WAV Blob": lambda: a(wav_blob, "t", 0.1),
            "say_audio a DOM node": lambda: a(js.document.body, "t", 0.3),
            "say_audio 100,000-character turn_id": lambda: a(MP3, LONG[:100_000], 0.3),
            "say_audio turn_id None": lambda: a(MP3, None, 0.3), "say_audio turn_id 42": lambda: a(MP3, 42, 0.3),
            "say_audio turn_id empty": lambda: a(MP3, "", 0.3),
            "say_audio duration -1": lambda: a(MP3, "t", -1), "say_audio duration 0": lambda: a(MP3, "t", 0),
            "say_audio duration NaN": lambda: a(MP3, "t", nan), "say_audio duration infinite": lambda: a(MP3, "t", inf),
            "say_audio duration '1.0'": lambda: a(MP3, "t", "1.0"), "say_audio duration None": lambda: a(MP3, "t", None),
            "say_audio duration True": lambda: a(MP3, "t", True),
            "attach_avatar None": lambda: ready.attach_avatar(None), "attach_avatar 42": lambda: ready.attach_avatar(42),
            "attach_avatar empty": lambda: ready.attach_avatar(""), "attach_avatar missing div": lambda: ready.attach_avatar("nope"),
            "on unknown event": lambda: ready.on("speaking", print), "on event 42": lambda: ready.on(42, print),
            "on event None": lambda: ready.on(None, print), "once unknown event": lambda: ready.once("speaking", print),
            "off unknown event": lambda: ready.off("speaking"),
            "create_session again": lambda: ready.create_session("avatar-123"),
            "init_session again": lambda: ready.init_session("sid", "tok"),
        })
        said = await ready.say_text(("Hello there. " * 8000)[:100_000])  # still usable; long text too
        [out, video_dom()[0]["parent"], said]
    """, timeout_ms=60_000)
    harness.emulator.call("DELETE", "/__test__/faults")
    check_table(result[0], READY_CALLS)
    assert result[1] == "avatar-container"  # the <video> stayed where it was
    log = [r for r in harness.emulator.requests() if r["route"] in ("say-text", "say-audio")]
    audio, texts = [r for r in log if r["route"] == "say-audio"], [r for r in log if r["route"] == "say-text"]
    assert len(audio) == 1 and audio[0]["body"]["turnId"].startswith("x" * 100)  # the one good call, nothing else
    assert len(texts) >= 100 and {r["body"]["turnId"] for r in texts} == {result[2]}  # one turn, in pieces
    assert [r["body"]["isFinal"] for r in texts] == [False] * (len(texts) - 1) + [True]
    assert max(len(r["body"]["text"]) for r in texts) <= 1000
    harness.run("await ready.end_session()")


WRONG_STATES = ["IDLE", "CREATING", "ERROR", "ENDED"]
CALLS = ["create_session", "init_session", "say_text", "say_audio", "interrupt", "attach_avatar", "end_session"]
ALLOWED = {("create_session", "IDLE"), ("init_session", "IDLE"), ("attach_avatar", "IDLE"),
           ("attach_avatar", "CREATING"), ("end_session", "IDLE"), ("end_session", "CREATING"),
           ("end_session", "ERROR"), ("end_session", "ENDED")}


def test_each_call_in_each_state_where_it_cannot_run_is_invalid_state_and_sends_nothing(harness):
    harness.allow_console_error(HTTP_ERRORS)
    harness.emulator.fault("create", status=401, body={"success": False, "error": "Invalid Kaltura Session"})
    harness.run("""
        sessions = {"IDLE": new_session(), "ERROR": new_session(), "ENDED": new_session(), "CREATING": new_session()}
        await attempt(sessions["ERROR"].create_session("avatar-123"))
        await sessions["ENDED"].create_session("avatar-123")
        await sessions["ENDED"].end_session()
    """)
    harness.emulator.fault("init-client", hang=10, status=504)  # CREATING until it is ended
    harness.emulator.call("DELETE", "/__test__/requests")
    harness.run("""
        creating = asyncio.ensure_future(sessions["CREATING"].create_session("avatar-123"))
        await until(lambda: sessions["CREATING"].get_session_state() == "CREATING")
    """)
    poll(lambda: "init-client" in server_routes(harness.emulator))  # created; its init-client hangs
    result = harness.run("""
        def call(s, name):
            return {"create_session": lambda: s.create_session("avatar-123"),
                    "init_session": lambda: s.init_session("sid", "tok"), "say_text": lambda: s.say_text("hi"),
                    "say_audio": lambda: s.say_audio(MP3, "t", 0.3), "interrupt": s.interrupt,
                    "attach_avatar": lambda: s.attach_avatar("other-container"), "end_session": s.end_session}[name]
        out = {}
        for state in ["IDLE", "ERROR", "ENDED", "CREATING"]:
            s = sessions[state]
            for name in __CALLS__:
                if (name, state) in __ALLOWED__ and name != "attach_avatar":
                    continue  # these change the state: proved elsewhere
                out[f"{name} {state}"] = await outcome(call(s, name)) + [s.get_session_state()]
        await sessions["CREATING"].end_session()
        out["create ended by end_session"] = await outcome(lambda: creating)
        out["idle end_session"] = await outcome(sessions["IDLE"].end_session) + [sessions["IDLE"].get_session_state()]
        [out, leaks()]
    """.replace("__CALLS__", repr(CALLS)).replace("__ALLOWED__", repr(ALLOWED)))
    out, left = result
    for state in WRONG_STATES:
        for name in CALLS:
            if (name, state) in ALLOWED:
                continue
            code, message, after = out[f"{name} {state}"]
            assert (code, after) == ("INVALID_STATE", state), (name, state, code, after)
            assert "session" in message.lower() and len(message) > 30, message  # says what to do
    assert out["attach_avatar IDLE"][0] == out["attach_avatar CREATING"][0] == "no error"
    assert out["create ended by end_session"][0] == "INVALID_STATE"
    assert out["idle end_session"] == ["no error", None, "IDLE"]  # never started: nothing to do
    assert left["peers"] == 1 and left["videos"] == 0  # only the steady session's (it has no container)
    routes = server_routes(harness.emulator)
    assert "say-text" not in routes and "say-audio" not in routes and "interrupt" not in routes
    assert routes.count("init-client") == 1  # the one that hung: the CREATING session's
    assert active_sessions(harness.emulator) == [harness.run("steady.get_session_id()")]


def test_calls_that_race_each_other(harness):
    """Two creates at once; say/interrupt after end_session began; two ends at once; 100 chunks
    of one turn fired without awaiting each."""
    harness.emulator.call("DELETE", "/__test__/requests")
    first = harness.run("""
        racing = new_session()
        both = await asyncio.gather(outcome(lambda: racing.create_session("avatar-123")),
                                    outcome(lambda: racing.create_session("avatar-123")))
        [sorted(c for c, _ in both), racing.get_session_id()]
    """)
    assert first == [["INVALID_STATE", "no error"], first[1]]
    # The server takes the chunks without speaking them (its TTS would take seconds for 100).
    harness.emulator.fault("say-text", count=100, status=200, body={"success": True}, session=first[1])
    result = harness.run("""
        turn = new_turn_id()
        chunks = [asyncio.ensure_future(racing.say_text(f"Chunk {i:03d}. ", turn, is_final=i == 99)) for i in range(100)]
        await asyncio.gather(*chunks)
        ending = asyncio.ensure_future(racing.end_session())
        await asyncio.sleep(0)  # end_session has begun, not finished
        late = [await outcome(lambda: racing.say_text("too late")), await outcome(racing.interrupt),
                await outcome(lambda: racing.say_audio(MP3, "t", 0.3))]
        ends = await asyncio.gather(outcome(racing.end_session), outcome(racing.end_session), outcome(lambda: ending))
        again = await outcome(racing.end_session)
        [turn, [c for c, _ in late], [c for c, _ in ends], again[0], racing.get_session_state()]
    """)
    sid = first[1]
    turn, late, ends, again, state = result
    assert late == ["INVALID_STATE"] * 3 and ends == ["no error"] * 3 and again == "no error"
    assert state == "ENDED"
    log = [r for r in harness.emulator.requests() if f"/{sid}/" in r["path"] or r["route"] == "create"]
    routes = [r["route"] for r in log]
    assert routes.count("create") == 1 and routes.count("end") == 1  # one teardown
    texts = [r["body"] for r in log if r["route"] == "say-text"]
    assert [t["text"] for t in texts] == [f"Chunk {i:03d}. " for i in range(100)]  # in order, all there
    assert {t["turnId"] for t in texts} == {turn} and [t["isFinal"] for t in texts] == [False] * 99 + [True]
    assert "interrupt" not in routes and "say-audio" not in routes
    assert harness.emulator.session(sid)["state"] == "ended"


def test_each_session_logs_at_its_own_level(harness):
    console = harness.console
    harness.run("""
        chatty = new_session(logLevel="debug")
        await chatty.create_session("avatar-123")
    """)
    assert any("create -> 200" in line for line in console)  # debug lines from the chatty one
    mark = len(console)
    harness.run("""
        quiet = new_session(logLevel="error")  # made after: it must not quiet the chatty one
        await quiet.create_session("avatar-123")
        await quiet.say_text("Quiet here.")
    """)
    quiet_lines = [line for line in console[mark:] if "[kaltura_avatar]" in line and "keep-alive" not in line]
    assert quiet_lines == []
    mark = len(console)
    harness.run('await chatty.say_text("Chatty here.")')
    assert any("say-text -> 200" in line for line in console[mark:])
    harness.run("await chatty.end_session()\nawait quiet.end_session()")


def test_keep_alive_at_its_default_interval_over_25_s(harness):
    """The module's first session, made with every default, kept alive every 10 s."""
    result = harness.run(f"""
        await until(lambda: time.time() - steady_ready >= {OBSERVED_S}, timeout={OBSERVED_S + 5})
        [steady_ready, steady.get_session_id(), steady.get_session_state()]
    """, timeout_ms=(OBSERVED_S + 10) * 1000)
    ready_at, sid, state = result
    times = harness.emulator.session(sid)["keepalives"]
    now = time.time()
    assert state == "READY" and len(times) >= 2, times  # at 10 s and 20 s of the first 25 s at least
    for gap in [times[0] - ready_at, *(b - a for a, b in zip(times, times[1:]))]:
        assert KEEP_ALIVE_S - 0.05 <= gap < KEEP_ALIVE_S + 1.5, (ready_at, times)
    assert now - times[-1] < KEEP_ALIVE_S + 1.5  # none missed up to now
    harness.run("await steady.end_session()")
    assert harness.run("leaks()") == {"tasks": 0, "peers": 0, "proxies": 0, "videos": 0}
    assert active_sessions(harness.emulator) == []
