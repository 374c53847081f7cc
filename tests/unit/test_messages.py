"""What people read when a call fails (kaltura_avatar.messages through control and whep): what
happened and what to do, the host named when the network failed, never a server's HTML; the code
and details stay for developers."""

import pytest

from fakes import KS, OFFER, TOKEN, FakeHttp, HttpResponse, mp3_frame, status, transport_error
from kaltura_avatar import AvatarError, AvatarErrorCode, RetryConfig
from kaltura_avatar.control import ControlClient
from kaltura_avatar.messages import server_text
from kaltura_avatar.mp3 import check_mp3
from kaltura_avatar.whep import negotiate

E = AvatarErrorCode
ONCE = RetryConfig(max_attempts=1)
HTML = "<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"


async def fail(call):
    with pytest.raises(AvatarError) as excinfo:
        await call
    return excinfo.value


def client(http, base="http://127.0.0.1:8000/v1/avatar-session"):
    c = ControlClient(base, http, ONCE, timeout=7.0)
    c.session_id, c.token = "sess-1", TOKEN
    return c


async def test_no_answer_from_a_local_backend_names_it_and_asks_for_the_emulator():
    http = FakeHttp()
    http.queue("create", transport_error())
    err = await fail(client(http).create(KS, "avatar-123", None))
    assert err.message == "Can't reach http://127.0.0.1:8000. Is the emulator running?"
    assert err.code is E.API_REQUEST_FAILED
    assert err.details == {"route": "create", "status": None, "timeout": False, "url": "http://127.0.0.1:8000",
                           "error": "connection refused", "attempts": 1}


async def test_no_answer_from_a_remote_service_says_what_to_check_and_a_timeout_says_how_long():
    http = FakeHttp()
    http.queue("say-text", transport_error(), transport_error(timeout=True))
    remote = client(http, "https://api.avatar.example/v1/avatar-session")
    err = await fail(remote.say_text("Hi", "t", True))
    assert err.message.startswith("Can't reach https://api.avatar.example. Check your network connection")
    err = await fail(remote.say_text("Hi", "t", True))
    assert err.message.startswith("No answer from https://api.avatar.example within 7 s.")
    assert err.details["timeout"] is True


async def test_a_servers_html_page_stays_out_of_the_message_and_in_the_details():
    http = FakeHttp()
    http.queue("create", HttpResponse(502, {"content-type": "text/html"}, HTML))
    err = await fail(client(http).create(KS, "avatar-123", None))
    assert "<" not in err.message and "nginx" not in err.message
    assert err.message == "The avatar service could not create the session (502). Try again in a moment."
    assert err.details["status"] == 502 and err.details["error"].startswith("<!doctype html>")


@pytest.mark.parametrize("route, call, code, words", [
    ("create", lambda c: c.create(KS, "a", None), 401, "refused the Kaltura Session (KS) (401: Invalid Kaltura"),
    ("say-text", lambda c: c.say_text("Hi", "t", True), 403, "refused the session's token (403"),
    ("say-text", lambda c: c.say_text("Hi", "t", True), 410, "session has ended (410"),
    ("create", lambda c: c.create(KS, "a", None), 429, "too many sessions open (429"),
    ("say-text", lambda c: c.say_text("Hi", "t", True), 400, "refused to speak the text (400: Invalid Kaltura"),
])
async def test_each_status_says_what_happened_and_what_to_do(route, call, code, words):
    http = FakeHttp()
    http.queue(route, status(code, "Invalid Kaltura Session"))
    err = await fail(call(client(http)))
    assert words in err.message and "***" not in err.message  # no words mistaken for a secret
    assert err.message.rstrip(".").count(".") >= 1, "a second sentence says what to do"
    assert err.details["status"] == code and err.details["error"] == "Invalid Kaltura Session"


async def test_a_malformed_answer_points_at_the_base_url():
    http = FakeHttp()
    http.queue("create", HttpResponse(200, {}, "<html>a login page</html>"))
    err = await fail(client(http).create(KS, "a", None))
    assert "<" not in err.message and "base URL" in err.message and err.details["malformed"] is True


async def test_media_server_messages():
    http = FakeHttp()
    whep_url = "http://127.0.0.1:8000/rtc/v1/whep/?app=app&stream=sess-1"
    http.queue("whep-post", transport_error(), status(404), status(409))
    messages = [(await fail(negotiate(http, whep_url, OFFER, ONCE, timeout=5))).message for _ in range(3)]
    assert messages[0] == "Can't reach the media server at http://127.0.0.1:8000. Is the emulator running?"
    assert "stream was not found (404)" in messages[1] and "Start a new session" in messages[1]
    assert "already playing in another tab" in messages[2]


def test_server_text_is_short_plain_text():
    assert server_text("  Text is\n required ") == "Text is required"
    assert server_text("<b>oops</b>") is None and server_text("") is None and server_text(None) is None
    assert len(server_text("x" * 500)) == 200


@pytest.mark.parametrize("data, words", [
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64, "is a WAV file"),
    (mp3_frame(version=0b10) * 3, "is an MP3 at 22.05 kHz"),
    (b"just some text", "is not an MP3 file"),
    (b"", "is empty"),
])
def test_audio_that_is_not_mp3_at_44_1_khz_says_what_it_is(data, words):
    with pytest.raises(AvatarError) as excinfo:
        check_mp3(data)
    assert words in excinfo.value.message and "MP3 at 44.1 kHz" in excinfo.value.message
    assert excinfo.value.code is E.INVALID_CONFIGURATION
