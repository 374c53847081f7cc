"""KalturaAvatarSession with fakes behind every port: states, exact event sequences, requests."""

import asyncio
import logging

import pytest

from fakes import (FAST, KS, TOKEN, FakeBlob, FakePeer, eventually, hang, id3_tag, make_world, mp3_frame,
                   ok, status, transport_error)
from kaltura_avatar import AvatarError, AvatarErrorCode, KalturaAvatarSession
from kaltura_avatar.log import redact

E = AvatarErrorCode
MP3 = id3_tag() + mp3_frame() * 4


class Recorder:
    """Every event the session emits, in order, as (name, value)."""

    def __init__(self, session):
        self.events = []
        for name in ("stateChange", "connectionChange", "error", "speakingStart", "speakingEnd"):
            session.on(name, lambda *args, name=name: self.events.append((name, self._value(args))))

    @staticmethod
    def _value(args):
        if not args:
            return None
        value = args[0]
        return value.code.value if isinstance(value, AvatarError) else str(value)

    def names(self, *which):
        return [e for e in self.events if e[0] in which] if which else self.events


@pytest.fixture
def world():
    return make_world()


def new_session(world, api_key=KS, **config):
    session = KalturaAvatarSession(api_key, {**FAST, **config}, platform=world.platform)
    return session, Recorder(session)


CREATED = [("stateChange", "CREATING"), ("connectionChange", "CONNECTING"),
           ("connectionChange", "CONNECTED"), ("stateChange", "READY")]
ENDED = [("connectionChange", "CLOSED"), ("stateChange", "ENDED")]


def assert_released(world, session):
    assert all(p.closed for p in world.peers.peers)
    assert all(v.detached for v in world.page.views)
    assert all(m.closed for m in world.page.meters)
    assert world.page.pagehide == []
    assert len(session._tasks) == 0
    assert session._media.current is None


async def test_create_session_seed_example_flow(world):
    session, rec = new_session(world)
    await session.create_session({"avatarId": "avatar-123", "voiceId": "voice-456",
                                  "videoContainerId": "avatar-container"})
    assert rec.events == CREATED
    assert session.get_session_id() == "sess-1"
    assert (session.get_session_state(), session.get_connection_state()) == ("READY", "CONNECTED")
    assert world.http.routes()[:3] == ["create", "init-client", "whep-post"]
    peer = world.peers.last
    assert peer.policy == "all" and peer.ice_servers[0]["urls"][0] == "turn:turn.test:80?transport=udp"
    (view,) = world.page.views
    assert view.container == "avatar-container" and view.stream is peer.stream and view.plays >= 1
    assert session.connect_time_s is not None

    turn = await session.say_text("Hello from Kaltura Avatar!")
    assert turn.startswith("turn-")
    await session.end_session()
    assert rec.events == CREATED + ENDED
    routes = world.http.routes()
    assert "whep-delete" in routes and routes[-1] in ("end", "whep-delete") and "end" in routes
    assert_released(world, session)


async def test_init_session_backend_created_flow_needs_no_api_key(world):
    session, rec = new_session(world, api_key=None)
    await session.init_session({"sessionId": "sess-1", "token": TOKEN}, {"videoContainerId": "avatar-container"})
    assert rec.events == CREATED
    assert world.http.routes()[:2] == ["init-client", "whep-post"]
    assert world.http.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    await session.say_text("Hello from backend-created session!", "turn-1", True)
    await session.end_session()
    assert rec.events == CREATED + ENDED


@pytest.mark.parametrize("backend_created", [False, True])
async def test_the_offer_is_made_while_the_session_is_located_and_gets_its_ice_servers_after(world, backend_created):
    session, _ = new_session(world, api_key=None if backend_created else KS)
    first = "init-client" if backend_created else "create"
    world.http.queue(first, hang(0.1))
    starting = asyncio.ensure_future(
        session.init_session("sess-1", TOKEN) if backend_created else session.create_session("avatar-123")
    )
    await eventually(lambda: world.peers.peers and world.peers.last.offered)
    assert world.http.routes() == [first]  # the request went first; the offer is made while it is answered
    assert world.peers.last.ice_servers is None  # no gathering yet: the TURN server is not known
    await starting
    (peer,) = world.peers.peers
    assert peer.ice_servers[0]["urls"][0] == "turn:turn.test:80?transport=udp" and peer.policy == "all"
    await session.end_session()
    assert_released(world, session)


async def test_keyword_and_positional_forms(world):
    session, _ = new_session(world)
    await session.create_session(avatar_id="avatar-123", video_container_id="avatar-container")
    assert world.http.requests[0].json()["visualConfig"] == {"id": "avatar-123"}
    await session.end_session()
    other, _ = new_session(world, api_key=None)
    await other.init_session("sess-1", TOKEN, "other")
    assert world.page.views[-1].container == "other"
    await other.end_session()


async def test_without_a_container_nothing_is_attached_until_attach_avatar(world):
    session, _ = new_session(world)
    await session.create_session("avatar-123")
    assert world.page.views == []
    session.attach_avatar("avatar-container")
    (view,) = world.page.views
    assert view.stream is world.peers.last.stream
    session.attach_avatar("other")  # moves the same element
    assert world.page.views == [view] and view.container == "other"
    await session.end_session()
    assert view.detached


async def test_end_session_before_the_start_removes_the_video_attach_avatar_made(world):
    session, rec = new_session(world)
    session.attach_avatar("avatar-container")
    await session.end_session()
    (view,) = world.page.views
    assert view.detached and session.get_session_state() == "IDLE" and rec.events == []
    assert world.http.requests == []


async def test_attach_before_create_gets_the_stream_when_it_arrives(world):
    session, _ = new_session(world)
    session.attach_avatar("avatar-container")
    (view,) = world.page.views
    assert view.stream is None
    await session.create_session("avatar-123")
    assert view.stream is world.peers.last.stream and world.page.views == [view]
    await session.end_session()


# --- wrong state, bad arguments ------------------------------------------------------
async def test_methods_in_the_wrong_state_are_invalid_state_and_change_nothing(world):
    session, rec = new_session(world)
    for call in (lambda: session.say_text("hi"), session.interrupt,
                 lambda: session.say_audio(MP3, "t", 1.0)):
        with pytest.raises(AvatarError) as excinfo:
            await call()
        assert excinfo.value.code is E.INVALID_STATE
    await session.end_session()  # nothing started, nothing to end: quietly nothing
    assert session.get_session_state() == "IDLE" and world.http.requests == []
    await session.create_session("avatar-123")
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.INVALID_STATE
    with pytest.raises(AvatarError):
        await session.init_session("sess-1", TOKEN)
    await session.end_session()
    ends = len(world.http.of("end"))
    await session.end_session()  # a second end resolves quietly, as close() does, and sends nothing
    assert len(world.http.of("end")) == ends == 1
    for call in (lambda: session.say_text("hi"), lambda: session.create_session("a")):
        with pytest.raises(AvatarError) as excinfo:
            await call()
        assert excinfo.value.code is E.INVALID_STATE
    with pytest.raises(AvatarError) as excinfo:
        session.attach_avatar("avatar-container")
    assert excinfo.value.code is E.INVALID_STATE
    assert "KalturaAvatarSession" in excinfo.value.message  # it says what to do instead
    assert session.get_session_state() == "ENDED"
    errors = rec.names("error")
    assert len(errors) == 8 and {v for _, v in errors} == {"INVALID_STATE"}  # each raised error is emitted


async def test_create_without_api_key_is_invalid_configuration(world):
    session, _ = new_session(world, api_key=None)
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.INVALID_CONFIGURATION and world.http.requests == []
    assert session.get_session_state() == "IDLE"


@pytest.mark.parametrize("args", [(), ("",), (None,), (7,), ({"avatarId": ""},), ({"avatar": "x"},),
                                  ({"avatarId": "a"}, "voice")])
async def test_bad_create_arguments(world, args):
    session, _ = new_session(world)
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session(*args)
    assert excinfo.value.code is E.INVALID_CONFIGURATION and session.get_session_state() == "IDLE"


@pytest.mark.parametrize("args", [(), ("sess-1",), ("sess-1", ""), ({"sessionId": "s"},),
                                  ({"sessionId": "s", "token": "t"}, {"videoContainerId": ""}),
                                  ({"sessionId": "s", "token": "t"}, "nope")])
async def test_bad_init_arguments(world, args):
    session, _ = new_session(world, api_key=None)
    with pytest.raises(AvatarError) as excinfo:
        await session.init_session(*args)
    assert excinfo.value.code is E.INVALID_CONFIGURATION and session.get_session_state() == "IDLE"


async def test_missing_container_fails_before_anything_is_created(world):
    session, rec = new_session(world)
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123", None, "no-such-div")
    assert excinfo.value.code is E.INVALID_CONFIGURATION
    assert world.http.requests == [] and session.get_session_state() == "IDLE"
    assert rec.events == [("error", "INVALID_CONFIGURATION")]
    for bad in ("no-such-div", "", None):
        with pytest.raises(AvatarError):
            session.attach_avatar(bad)


@pytest.fixture
async def ready(world):
    session, rec = new_session(world)
    await session.create_session("avatar-123", "voice-456", "avatar-container")
    yield session, rec
    if session.get_session_state() not in ("ENDED",):
        await session.end_session()


@pytest.mark.parametrize("text, turn_id, is_final", [("", None, True), ("   ", None, True), (None, None, True),
                                                      (42, None, True), ("hi", "", True), ("hi", 5, True),
                                                      ("hi", None, "yes")])
async def test_bad_say_text_arguments(world, ready, text, turn_id, is_final):
    session, _ = ready
    with pytest.raises(AvatarError) as excinfo:
        await session.say_text(text, turn_id, is_final)
    assert excinfo.value.code is E.INVALID_CONFIGURATION and session.get_session_state() == "READY"
    assert world.http.of("say-text") == []


@pytest.mark.parametrize(
    "audio, turn_id, duration",
    [(MP3, None, 1.0), (MP3, "", 1.0), (MP3, "t", 0), (MP3, "t", -1), (MP3, "t", float("nan")),
     (MP3, "t", float("inf")), (MP3, "t", True), (MP3, "t", "2"), (b"", "t", 1.0),
     (mp3_frame(rate_index=1) * 3, "t", 1.0), (b"RIFF....WAVEfmt " * 10, "t", 1.0), ("file.mp3", "t", 1.0),
     (FakeBlob(mp3_frame(version=0b10)), "t", 1.0)],
)
async def test_bad_say_audio_arguments(world, ready, audio, turn_id, duration):
    session, _ = ready
    with pytest.raises(AvatarError) as excinfo:
        await session.say_audio(audio, turn_id, duration)
    assert excinfo.value.code is E.INVALID_CONFIGURATION and session.get_session_state() == "READY"
    assert world.http.of("say-audio") == []


# --- speech ---------------------------------------------------------------------------
async def test_say_text_sends_one_turn_and_long_text_in_pieces(world, ready):
    session, _ = ready
    await session.say_text("Hello, ", "turn-x", False)
    await session.say_text("how are you?", "turn-x", True)
    long_text = " ".join(f"This is sentence {i} of a long answer." for i in range(80))
    turn = await session.say_text(long_text)
    bodies = [r.json() for r in world.http.of("say-text")]
    assert bodies[:2] == [{"text": "Hello, ", "turnId": "turn-x", "isFinal": False},
                          {"text": "how are you?", "turnId": "turn-x", "isFinal": True}]
    pieces = bodies[2:]
    assert len(pieces) >= 3 and {p["turnId"] for p in pieces} == {turn}
    assert [p["isFinal"] for p in pieces] == [False] * (len(pieces) - 1) + [True]
    assert all(len(p["text"]) <= 1000 for p in pieces) and " ".join(p["text"] for p in pieces) == long_text


async def test_say_audio_bytes_and_blob(world, ready):
    session, _ = ready
    await session.say_audio(MP3, "turn-a", 2.0)
    await session.say_audio(FakeBlob(MP3), "turn-b", 0.5)
    a, b = world.http.of("say-audio")
    assert MP3 in a.body and b"turn-a" in a.body and b'name="duration"\r\n\r\n2\r\n' in a.body
    assert b"turn-b" in b.body and b"\r\n\r\n0.5\r\n" in b.body


async def test_speaking_events_follow_the_audio_level_and_interrupt_ends_them(world, ready):
    session, rec = ready
    level = {"v": 0.0}
    world.peers.level = lambda: level["v"]
    session._media._levels.rtp_hold_s = session._media._levels.meter_hold_s = 0.1
    level["v"] = 0.4
    await eventually(lambda: rec.names("speakingStart"))
    level["v"] = 0.0
    await eventually(lambda: rec.names("speakingEnd"))
    assert rec.names("speakingStart", "speakingEnd") == [("speakingStart", None), ("speakingEnd", None)]
    level["v"] = 0.4
    await eventually(lambda: len(rec.names("speakingStart")) == 2)
    await session.interrupt()
    assert world.http.of("interrupt")
    assert [e for e, _ in rec.names("speakingStart", "speakingEnd")] == ["speakingStart", "speakingEnd"] * 2
    await asyncio.sleep(0.06)  # still loud: buffered audio after the interrupt must not restart it
    assert len(rec.names("speakingStart")) == 2


async def test_a_pause_is_timed_on_a_finer_clock_than_the_stats(world):
    """While the level is low after speech, stats are polled every ENDING_POLL_S, so speakingEnd
    comes about one hold after the first quiet sample, not a whole stats interval later."""
    from kaltura_avatar.connection import ENDING_POLL_S

    session, rec = new_session(world, statsIntervalS=1.0)
    await session.create_session("avatar-123", "voice-456", "avatar-container")
    session._media._levels.rtp_hold_s = 0.1
    loop = asyncio.get_running_loop()
    quiet_polls: list[float] = []
    level = {"v": 0.4}

    def sample() -> float:
        if level["v"] == 0.0:
            quiet_polls.append(loop.time())
        return level["v"]

    world.peers.level = sample
    await eventually(lambda: rec.names("speakingStart"), timeout=5)
    level["v"] = 0.0
    await eventually(lambda: rec.names("speakingEnd"), timeout=5)
    ended = loop.time()
    assert ended - quiet_polls[0] < 0.1 + 5 * ENDING_POLL_S < 1.0  # the stats interval would be >= 1 s
    assert len(quiet_polls) >= 3
    await session.end_session()


async def test_without_an_audible_view_the_level_comes_from_the_meter(world):
    session, rec = new_session(world)
    await session.create_session("avatar-123")  # no container: nothing renders the audio
    world.page.meter_level = lambda: 0.5
    await eventually(lambda: rec.names("speakingStart"))
    assert rec.names("speakingStart") and world.page.meters[0].stream is world.peers.last.stream
    await session.end_session()
    assert world.page.meters[0].closed and rec.names("speakingEnd")  # ending ends the speech too


# --- errors while creating --------------------------------------------------------------
@pytest.mark.parametrize("code", [401, 403])
async def test_unauthorized_ks_while_creating(world, code):
    session, rec = new_session(world)
    world.http.queue("create", status(code, "Invalid Kaltura Session"))
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123", None, "avatar-container")
    assert excinfo.value.code is E.UNAUTHORIZED
    assert rec.events == [("stateChange", "CREATING"), ("stateChange", "ERROR"), ("error", "UNAUTHORIZED")]
    assert world.http.routes() == ["create"]
    assert session.get_connection_state() == "DISCONNECTED"
    assert_released(world, session)
    await session.end_session()  # allowed after ERROR; nothing more is sent
    assert world.http.routes() == ["create"] and session.get_session_state() == "ENDED"


@pytest.mark.parametrize("code", [401, 403])
async def test_a_refused_init_client_after_create_still_ends_the_created_session(world, code):
    session, rec = new_session(world)
    world.http.queue("init-client", status(code, "Invalid or expired token"))
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.UNAUTHORIZED and session.get_session_state() == "ERROR"
    assert world.http.routes() == ["create", "init-client", "end"]  # ours: not left on the server


async def test_foreign_token_on_init(world):
    session, rec = new_session(world, api_key=None)
    world.http.queue("init-client", status(401, "Invalid or expired token"))
    with pytest.raises(AvatarError) as excinfo:
        await session.init_session("sess-1", "someone-elses-token")
    assert excinfo.value.code is E.UNAUTHORIZED and session.get_session_state() == "ERROR"
    assert "someone-elses-token" not in str(excinfo.value)
    assert world.http.routes() == ["init-client"]  # not ours to end


async def test_ended_session_on_init_is_session_not_found_and_ended(world):
    session, rec = new_session(world, api_key=None)
    world.http.queue("init-client", status(410, "Session ended"))
    with pytest.raises(AvatarError) as excinfo:
        await session.init_session("sess-1", TOKEN)
    assert excinfo.value.code is E.SESSION_NOT_FOUND
    assert rec.events == [("stateChange", "CREATING"), ("connectionChange", "CLOSED"), ("stateChange", "ENDED"),
                          ("error", "SESSION_NOT_FOUND")]


async def test_5xx_burst_while_creating_retries_through(world):
    session, rec = new_session(world)
    world.http.queue("create", status(503), status(502))
    world.http.queue("init-client", transport_error(timeout=True))
    await session.create_session("avatar-123")
    assert rec.events == CREATED
    assert world.http.routes()[:5] == ["create", "create", "create", "init-client", "init-client"]


async def test_5xx_until_the_retries_run_out_is_api_request_failed_and_error(world):
    session, rec = new_session(world)
    world.http.queue("create", status(500), status(500), status(500))
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.API_REQUEST_FAILED and excinfo.value.details["attempts"] == 3
    assert session.get_session_state() == "ERROR"


async def test_init_client_failure_after_create_ends_the_created_session(world):
    session, _ = new_session(world)
    world.http.queue("init-client", ok(turn={}))  # malformed: no whepUrl
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.API_REQUEST_FAILED
    assert world.http.routes() == ["create", "init-client", "end"]


async def test_whep_409_then_success(world):
    session, rec = new_session(world)
    world.http.queue("whep-post", status(409, retry_after="0.01"))
    await session.create_session("avatar-123")
    assert rec.events == CREATED and len(world.http.of("whep-post")) == 2
    await session.end_session()


async def test_whep_404_while_creating_is_rtc_failed_without_retry(world):
    session, rec = new_session(world)
    world.http.queue("whep-post", status(404))
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123", None, "avatar-container")
    assert excinfo.value.code is E.RTC_CONNECTION_FAILED
    assert rec.events == [("stateChange", "CREATING"), ("connectionChange", "CONNECTING"),
                          ("connectionChange", "FAILED"), ("stateChange", "ERROR"), ("error", "RTC_CONNECTION_FAILED")]
    assert len(world.http.of("whep-post")) == 1 and world.http.routes()[-1] == "end"
    assert_released(world, session)


async def test_a_frame_the_peer_saw_shown_is_the_first_frame_before_stats_count_it(world):
    session, rec = new_session(world)
    world.peers.frame_shown = True
    world.peers.stats_lag = 100  # getStats is cached: its counters say nothing yet
    await session.create_session("avatar-123")
    assert rec.events == CREATED and world.peers.last.frames == 0
    await session.end_session()


async def test_no_first_frame_within_the_connect_timeout(world):
    session, rec = new_session(world, connectTimeoutS=0.2)
    world.peers.connects = False
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.RTC_CONNECTION_FAILED and "0.2" in excinfo.value.message
    assert session.get_connection_state() == "FAILED" and session.get_session_state() == "ERROR"
    assert world.peers.last.closed
    assert {"whep-delete", "end"} <= set(world.http.routes())


@pytest.mark.parametrize("at", ["making the peer connection", "setting its ICE servers"])
async def test_a_browser_refusal_while_connecting_is_rtc_connection_failed(world, monkeypatch, at):
    session, _ = new_session(world)

    def refuse(*args, **kwargs):
        raise ValueError("SyntaxError: bad ICE server URL")

    async def refuse_later(*args, **kwargs):
        refuse()

    if at == "making the peer connection":  # while the session is being created
        world.platform.create_peer = refuse
    else:
        monkeypatch.setattr(FakePeer, "start", refuse_later)
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123")
    assert excinfo.value.code is E.RTC_CONNECTION_FAILED and "bad ICE server URL" in excinfo.value.message
    assert session.get_session_state() == "ERROR" and world.http.routes()[-1] == "end"
    assert_released(world, session)


async def test_ice_failure_while_connecting_fails_fast(world):
    session, _ = new_session(world, connectTimeoutS=5)
    world.peers.connects = False
    task = asyncio.ensure_future(session.create_session("avatar-123"))
    await asyncio.sleep(0.05)
    world.peers.last.set_state("failed")
    with pytest.raises(AvatarError) as excinfo:
        await asyncio.wait_for(task, 1)
    assert excinfo.value.code is E.RTC_CONNECTION_FAILED


# --- errors after READY ------------------------------------------------------------------
async def test_expired_session_on_say_text_ends_the_session(world, ready):
    session, rec = ready
    world.http.queue("say-text", status(404, "Session not found"))
    with pytest.raises(AvatarError) as excinfo:
        await session.say_text("hi")
    assert excinfo.value.code is E.SESSION_NOT_FOUND
    assert rec.events[-3:] == [("connectionChange", "CLOSED"), ("stateChange", "ENDED"), ("error", "SESSION_NOT_FOUND")]
    assert "end" not in world.http.routes() and "whep-delete" in world.http.routes()
    assert_released(world, session)


async def test_unauthorized_or_5xx_after_ready_leave_the_state(world, ready):
    session, rec = ready
    world.http.queue("say-text", status(401), *[status(500)] * 3)
    for code in (E.UNAUTHORIZED, E.API_REQUEST_FAILED):
        with pytest.raises(AvatarError) as excinfo:
            await session.say_text("hi")
        assert excinfo.value.code is code
    assert session.get_session_state() == "READY"
    assert rec.events[len(CREATED):] == [("error", "UNAUTHORIZED"), ("error", "API_REQUEST_FAILED")]


async def test_end_session_still_ends_locally_when_the_server_end_fails(world, ready):
    session, rec = ready
    world.http.queue("end", *[status(500)] * 3)
    with pytest.raises(AvatarError) as excinfo:
        await session.end_session()
    assert excinfo.value.code is E.API_REQUEST_FAILED
    assert session.get_session_state() == "ENDED" and session.get_connection_state() == "CLOSED"
    assert_released(world, session)


# --- keep-alive ------------------------------------------------------------------------------
async def test_keep_alive_runs_on_schedule(world, ready):
    await eventually(lambda: len(world.http.of("keep-alive")) >= 5)
    times = [r.at for r in world.http.of("keep-alive")]
    assert all(b - a >= 0.045 for a, b in zip(times, times[1:]))  # every 0.05 s, never sooner


async def test_keep_alive_404_ends_the_session_with_session_not_found(world, ready):
    session, rec = ready
    world.http.queue("keep-alive", status(404))
    await eventually(lambda: rec.names("error"))
    assert session.get_session_state() == "ENDED"
    assert rec.events[len(CREATED):] == [("connectionChange", "CLOSED"), ("stateChange", "ENDED"),
                                         ("error", "SESSION_NOT_FOUND")]
    await eventually(lambda: len(session._tasks) == 0)  # the keep-alive task emitted it: it ends next
    assert_released(world, session)


async def test_keep_alive_transient_failures_retry_quietly_then_report_and_go_on(world, ready):
    session, rec = ready
    world.http.queue("keep-alive", status(503), transport_error())  # retried through: no error
    await eventually(lambda: len(world.http.of("keep-alive")) >= 4)
    assert rec.names("error") == []
    world.http.queue("keep-alive", *[status(500)] * 3)  # the retries run out: one error
    await eventually(lambda: rec.names("error"))
    assert rec.names("error") == [("error", "API_REQUEST_FAILED")]
    before = len(world.http.of("keep-alive"))
    await eventually(lambda: len(world.http.of("keep-alive")) > before)
    assert rec.names("error") == [("error", "API_REQUEST_FAILED")] and session.get_session_state() == "READY"


# --- recovery ----------------------------------------------------------------------------
@pytest.mark.parametrize("ice_state", ["disconnected", "failed"])
async def test_ice_loss_renegotiates_and_the_view_gets_the_new_stream(world, ready, ice_state):
    session, rec = ready
    first = world.peers.last
    first.set_state(ice_state)
    await eventually(lambda: rec.events[-1] == ("connectionChange", "CONNECTED"))
    assert rec.events[len(CREATED):] == [("connectionChange", "DISCONNECTED"), ("connectionChange", "CONNECTING"),
                                         ("connectionChange", "CONNECTED")]
    second = world.peers.last
    assert second is not first and first.closed and not second.closed
    (view,) = world.page.views
    assert view.stream is second.stream
    assert len(world.http.of("whep-post")) == 2 and len(world.http.of("whep-delete")) == 1
    assert session.get_session_state() == "READY"


async def test_lost_media_triggers_recovery(world, ready):
    session, rec = ready
    world.peers.last.flowing = False  # frames stop, ICE says nothing
    await eventually(lambda: rec.events[-1] == ("connectionChange", "CONNECTED"))
    assert ("connectionChange", "DISCONNECTED") in rec.events
    assert session.get_connection_state() == "CONNECTED" and len(world.peers.peers) == 2


async def test_a_recovery_quicker_than_one_poll_gives_the_new_connection_its_own_media_timeout(world):
    session, rec = new_session(world, statsIntervalS=0.05)
    await session.create_session("avatar-123")
    world.peers.frame_shown = True  # READY at the frame shown, before stats have a video entry
    world.peers.stats_lag = 1  # the new connection's first stats have no video entry yet
    world.peers.last.flowing = False  # frames stop: lost after the media timeout, recovered at once
    await eventually(lambda: rec.events[-1] == ("connectionChange", "CONNECTED") and len(world.peers.peers) == 2)
    await asyncio.sleep(0.4)  # twice the media timeout: the new connection's frames are counted
    assert len(world.peers.peers) == 2 and rec.events.count(("connectionChange", "DISCONNECTED")) == 1
    await session.end_session()


async def test_frames_paused_in_a_hidden_tab_are_not_lost_media(world, ready):
    session, rec = ready
    world.page.visible = False
    world.peers.last.flowing = False
    await asyncio.sleep(0.5)
    assert rec.events[len(CREATED):] == [] and len(world.peers.peers) == 1


async def test_recovery_stops_at_whep_404_and_reports_failed(world, ready):
    session, rec = ready
    world.http.queue("whep-post", status(404))
    world.peers.last.set_state("failed")
    await eventually(lambda: rec.names("error"))
    assert rec.events[len(CREATED):] == [("connectionChange", "DISCONNECTED"), ("connectionChange", "CONNECTING"),
                                         ("connectionChange", "FAILED"), ("error", "RTC_CONNECTION_FAILED")]
    assert len(world.http.of("whep-post")) == 2 and session.get_session_state() == "READY"
    assert all(p.closed for p in world.peers.peers)


async def test_recovery_gives_up_after_the_attempts_with_backoff(world):
    session, rec = new_session(world, reconnectAttempts=2, connectTimeoutS=0.1)
    await session.create_session("avatar-123")
    world.peers.connects = False
    world.peers.last.set_state("disconnected")
    await eventually(lambda: rec.names("error"))
    assert rec.events[len(CREATED):] == [("connectionChange", "DISCONNECTED"), ("connectionChange", "CONNECTING"),
                                         ("connectionChange", "DISCONNECTED"), ("connectionChange", "CONNECTING"),
                                         ("connectionChange", "FAILED"), ("error", "RTC_CONNECTION_FAILED")]
    assert len(world.peers.peers) == 3 and all(p.closed for p in world.peers.peers)
    await session.end_session()
    assert session.get_connection_state() == "CLOSED"


async def test_each_recovery_attempt_is_one_whep_post(world, ready):
    """The recovery loop does the backoff: it does not also run the whole retry budget per attempt."""
    session, rec = ready
    world.http.queue("whep-post", *[status(503)] * 20)
    world.peers.last.set_state("failed")
    await eventually(lambda: rec.names("error"))
    assert len(world.http.of("whep-post")) == 1 + session._config.reconnect_attempts


async def test_a_failing_audio_meter_does_not_stop_the_monitor(world):
    session, rec = new_session(world)
    await session.create_session("avatar-123")  # no container: the level would come from the meter
    world.page.meter_level = lambda: 1 / 0
    await eventually(lambda: world.page.meters and world.page.meters[0].closed)
    assert "monitor" in session._media._tasks
    world.peers.last.flowing = False  # lost media is still noticed
    await eventually(lambda: len(world.peers.peers) == 2)
    await session.end_session()


async def test_an_unexpected_failure_while_starting_is_typed_and_leaves_nothing(world):
    session, rec = new_session(world)

    def boom(req):
        raise RuntimeError("unexpected")

    world.http.queue("init-client", boom)
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123", None, "avatar-container")
    assert excinfo.value.code is E.API_REQUEST_FAILED
    assert session.get_session_state() == "ERROR" and rec.names("error") == [("error", "API_REQUEST_FAILED")]
    assert world.http.routes()[-1] == "end"  # the server session it made is ended
    assert_released(world, session)


# --- cancellation, pagehide, hygiene -----------------------------------------------------
async def test_end_session_during_create_cancels_cleanly_and_ends_the_server_session(world):
    session, rec = new_session(world)
    world.http.queue("create", hang(0.1, ok(sessionId="sess-1", token=TOKEN)))

    async def end_soon():
        await asyncio.sleep(0.02)
        assert session.get_session_state() == "CREATING"
        await session.end_session()

    ending = asyncio.ensure_future(end_soon())
    with pytest.raises(AvatarError) as excinfo:
        await session.create_session("avatar-123", None, "avatar-container")
    assert excinfo.value.code is E.INVALID_STATE
    assert session.get_session_state() == "ENDED"  # create_session returns once the end is over
    await ending
    assert rec.names("stateChange", "connectionChange") == [("stateChange", "CREATING")] + ENDED
    assert world.http.routes() == ["create", "end"]  # the session the create made is ended
    assert_released(world, session)


async def test_end_session_while_connecting(world):
    session, rec = new_session(world)
    world.peers.connects = False
    task = asyncio.ensure_future(session.create_session("avatar-123"))
    await asyncio.sleep(0.05)
    await session.end_session()
    with pytest.raises(AvatarError):
        await task
    assert world.peers.last.closed and {"whep-delete", "end"} <= set(world.http.routes())
    assert session.get_session_state() == "ENDED" and session.get_connection_state() == "CLOSED"


async def test_cancelling_create_session_tears_down(world):
    session, _ = new_session(world)
    world.peers.connects = False
    task = asyncio.ensure_future(session.create_session("avatar-123"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.get_session_state() == "ENDED" and world.http.routes()[-1] in ("end", "whep-delete")
    assert_released(world, session)


async def test_a_session_created_after_end_gave_up_waiting_is_still_ended(world):
    session, rec = new_session(world, requestTimeoutS=0.05)
    world.http.queue("create", hang(0.2, ok(sessionId="late-1", token=TOKEN)))
    creating = asyncio.ensure_future(session.create_session("avatar-123"))
    await eventually(lambda: world.http.routes() == ["create"])
    await session.end_session()  # waits 0.05 s for the create's answer, then stops waiting
    assert session.get_session_state() == "ENDED" and "end" not in world.http.routes()
    with pytest.raises(AvatarError):
        await creating
    await eventually(lambda: "end" in world.http.routes())  # the late answer's session is ended
    (end,) = world.http.of("end")
    assert "/late-1/end" in end.url and end.keepalive


async def test_concurrent_end_calls_end_once(world, ready):
    session, rec = ready
    await asyncio.gather(session.end_session(), session.end_session())
    assert world.http.routes().count("end") == 1 and rec.events[-2:] == ENDED


async def test_speech_asked_for_once_end_session_began_is_refused_and_never_sent(world, ready):
    session, rec = ready
    world.http.queue("end", hang(0.2, ok()))  # the end is under way for a while
    ending = asyncio.ensure_future(session.end_session())
    await asyncio.sleep(0)
    for call in (lambda: session.say_text("too late"), session.interrupt,
                 lambda: session.say_audio(MP3, "t", 1.0)):
        with pytest.raises(AvatarError) as excinfo:
            await call()
        assert excinfo.value.code is E.INVALID_STATE and "ending" in excinfo.value.message
    await ending
    assert {"say-text", "say-audio", "interrupt"}.isdisjoint(world.http.routes())
    assert rec.events[-2:] == ENDED


async def test_queued_pieces_of_long_text_stop_at_end_session(world, ready):
    session, _ = ready
    world.http.queue("say-text", hang(0.1, ok()))
    speaking = asyncio.ensure_future(session.say_text("A sentence of some length. " * 80))  # 3 pieces
    await eventually(lambda: world.http.of("say-text"))
    await session.end_session()
    with pytest.raises(AvatarError) as excinfo:
        await speaking
    assert excinfo.value.code is E.INVALID_STATE
    assert len(world.http.of("say-text")) == 1  # the other pieces were never sent


async def test_interrupt_drops_the_pieces_of_long_text_not_sent_yet(world, ready):
    """Interrupt means silence: the rest of a long text (and speech queued in the SDK) is not sent
    after it; the piece on its way reaches the server before the interrupt, which drops it."""
    session, _ = ready
    world.http.queue("say-text", hang(0.1, ok()))
    speaking = asyncio.ensure_future(session.say_text("A sentence of some length. " * 80))  # 3 pieces
    queued = asyncio.ensure_future(session.say_audio(MP3, "turn-q", 1.0))
    await eventually(lambda: world.http.of("say-text"))
    await session.interrupt()
    assert await speaking and await queued is None  # both resolve: what was dropped was asked for
    speech = [r for r in world.http.routes() if r in ("say-text", "say-audio", "interrupt")]
    assert speech == ["say-text", "interrupt"]
    await session.say_text("After the interrupt.")  # later speech goes out as usual
    assert world.http.of("say-text")[-1].json()["text"] == "After the interrupt."


async def test_a_hundred_chunks_fired_at_once_reach_the_server_in_order(world, ready):
    session, _ = ready
    await asyncio.gather(*(session.say_text(f"chunk {i} ", "turn-llm", i == 99) for i in range(100)))
    sent = [r.json() for r in world.http.of("say-text")]
    assert [c["text"] for c in sent] == [f"chunk {i} " for i in range(100)]
    assert [c["isFinal"] for c in sent] == [False] * 99 + [True]


async def test_is_muted_says_when_autoplay_with_sound_was_refused(world):
    session, _ = new_session(world)
    assert session.is_muted() is False
    world.page.autoplay_muted = True
    await session.create_session("avatar-123", None, "avatar-container")
    assert session.is_muted() is True  # known by READY: startup waited for playback to begin
    world.page.views[0].muted = False  # the user clicked
    assert session.is_muted() is False
    await session.end_session()


async def test_pagehide_ends_best_effort_with_keepalive_requests(world, ready):
    session, rec = ready
    world.page.hide()
    beacons = [r for r in world.http.requests if r.keepalive]
    assert sorted((r.method, r.route) for r in beacons) == [("DELETE", "whep-delete"), ("POST", "end")]
    assert rec.events[-2:] == ENDED
    sent = len(world.http.requests)
    await asyncio.sleep(0.1)  # two keep-alive intervals: nothing more goes out
    assert_released(world, session)
    assert len(world.http.requests) == sent


async def test_one_sessions_teardown_keeps_anothers_token_secret(world):
    first, _ = new_session(world, None)
    world.http.queue("init-client", *[status(500)] * 3)
    with pytest.raises(AvatarError):
        await first.init_session("sess-1", TOKEN)
    second, _ = new_session(make_world(), None)
    await second.init_session("sess-1", TOKEN)
    await first.end_session()  # the failed one releases again: the token is still the other's
    assert TOKEN not in redact(f"body {TOKEN}")
    await second.end_session()


async def test_secrets_never_logged(world, caplog):
    with caplog.at_level(logging.DEBUG, logger="kaltura_avatar"):
        session, _ = new_session(world)
        world.http.queue("say-text", status(500, f"token {TOKEN} bad"), ok())
        await session.create_session("avatar-123", None, "avatar-container")
        await session.say_text("hi")
        await session.end_session()
    assert caplog.records and KS not in caplog.text and TOKEN not in caplog.text


async def test_a_raising_handler_never_breaks_the_session(world):
    session, rec = new_session(world)
    session.on("stateChange", lambda s: 1 / 0)

    async def bad(state):
        raise RuntimeError("async handler")

    session.on("connectionChange", bad)
    await session.create_session("avatar-123")
    await session.end_session()
    assert rec.events == CREATED + ENDED


async def test_repeated_sessions_leave_nothing_behind(world):
    for _ in range(3):
        session, _ = new_session(world)
        await session.create_session("avatar-123", None, "avatar-container")
        await session.end_session()
        assert_released(world, session)
    assert len([t for t in asyncio.all_tasks() if t is not asyncio.current_task()]) == 0
