"""The Control API client against protocol.md sections 1 and 3: every row of the error table."""

import json
from email.parser import BytesParser
from email.policy import HTTP

import pytest

from fakes import BASE, KS, TOKEN, FakeHttp, HttpResponse, ok, status, transport_error
from kaltura_avatar import AvatarError, AvatarErrorCode, RetryConfig
from kaltura_avatar.control import ControlClient, decimal_string, multipart

E = AvatarErrorCode


@pytest.fixture
def http():
    return FakeHttp()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(http, sleeps):
    async def sleep(s):
        sleeps.append(s)

    c = ControlClient(BASE, http, RetryConfig(), timeout=7.0, sleep=sleep)
    c.session_id, c.token = "sess-1", TOKEN
    return c


async def test_create_sends_the_wire_form_with_ks_auth(http, client):
    assert await client.create(KS, "avatar-123", "voice-456") == ("sess-1", TOKEN)
    (req,) = http.requests
    assert (req.method, req.url) == ("POST", f"{BASE}/create")
    assert req.headers == {"Content-Type": "application/json", "Authorization": f"KS {KS}"}
    assert req.json() == {"clientId": "kaltura-avatar-sdk", "visualConfig": {"id": "avatar-123"},
                          "voiceConfig": {"id": "voice-456"}}
    assert req.timeout == 7.0


async def test_create_without_voice_sends_no_voice_config(http, client):
    await client.create(KS, "avatar-123", None)
    assert "voiceConfig" not in http.requests[0].json()


@pytest.mark.parametrize(
    "call, route, body",
    [
        (lambda c: c.init_client(), "init-client", {}),
        (lambda c: c.say_text("Hi", "turn-1", False), "say-text", {"text": "Hi", "turnId": "turn-1", "isFinal": False}),
        (lambda c: c.interrupt(), "interrupt", {}),
        (lambda c: c.keep_alive(), "keep-alive", {}),
        (lambda c: c.end(), "end", {}),
    ],
)
async def test_session_routes_use_bearer_auth_and_json(http, client, call, route, body):
    await call(client)
    (req,) = http.requests
    assert req.url == f"{BASE}/sess-1/{route}"
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["Content-Type"] == "application/json"
    assert req.json() == body


async def test_init_client_returns_whep_url_and_turn(client):
    info = await client.init_client()
    assert info.whep_url.startswith("http://media.test/")
    assert (info.turn.url, info.turn.username, info.turn.credential) == ("turn.test", "u", "c")


async def test_init_client_without_turn(http, client):
    http.queue("init-client", ok(whepUrl="http://m.test/whep"))
    assert (await client.init_client()).turn is None


async def test_say_audio_is_multipart_with_turn_duration_and_mp3(http, client):
    await client.say_audio(b"\xff\xfb\x90\x00mp3", "turn-9", 2.5)
    (req,) = http.requests
    assert req.url == f"{BASE}/sess-1/say-audio"
    content_type = req.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + req.body)
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["turnId"].get_content() == "turn-9"
    assert parts["duration"].get_content() == "2.5"
    audio = parts["audio"]
    assert audio.get_content_type() == "audio/mpeg" and audio.get_filename() == "audio.mp3"
    assert audio.get_payload(decode=True) == b"\xff\xfb\x90\x00mp3"


def test_decimal_string_and_multipart_shape():
    assert [decimal_string(v) for v in (2, 2.5, 0.125, 3.0000001)] == ["2", "2.5", "0.125", "3"]
    content_type, body = multipart({"a": "1"}, ("f", "x.bin", "application/octet-stream", b"\x00"))
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())


# --- protocol.md section 3, row by row ------------------------------------------------
@pytest.mark.parametrize("code", [401, 403])
async def test_401_403_are_unauthorized_and_never_retried(http, client, code):
    http.queue("say-text", status(code, "Invalid or expired token"))
    with pytest.raises(AvatarError) as excinfo:
        await client.say_text("x", "t", True)
    err = excinfo.value
    assert err.code is E.UNAUTHORIZED and len(http.requests) == 1
    assert err.details == {"route": "say-text", "status": code, "error": "Invalid or expired token", "attempts": 1}


@pytest.mark.parametrize("code", [404, 410])
@pytest.mark.parametrize("route", ["init-client", "say-text", "interrupt", "keep-alive"])
async def test_404_410_on_session_routes_are_session_not_found(http, client, code, route):
    http.queue(route, status(code))
    call = {"init-client": client.init_client, "say-text": lambda: client.say_text("x", "t", True),
            "interrupt": client.interrupt, "keep-alive": client.keep_alive}[route]
    with pytest.raises(AvatarError) as excinfo:
        await call()
    assert excinfo.value.code is E.SESSION_NOT_FOUND and len(http.requests) == 1


@pytest.mark.parametrize("code", [404, 410])
async def test_end_of_an_ended_session_is_fine(http, client, sleeps, code):
    http.queue("end", status(code))
    assert await client.end() is None  # resolves: the session is over, which is what was asked
    assert [r.route for r in http.requests] == ["end"] and sleeps == []  # once, never retried


async def test_404_on_create_is_a_failed_request_not_a_missing_session(http, client):
    http.queue("create", status(404))
    with pytest.raises(AvatarError) as excinfo:
        await client.create(KS, "a", None)
    assert excinfo.value.code is E.API_REQUEST_FAILED and len(http.requests) == 1


@pytest.mark.parametrize("transient", [status(429), status(500), status(502), status(503), status(504),
                                       transport_error(), transport_error(timeout=True)])
async def test_transient_failures_are_retried_through(http, client, sleeps, transient):
    http.queue("say-text", transient, transient)
    await client.say_text("x", "t", True)
    assert len(http.requests) == 3 and sleeps == [0.5, 1.0]


async def test_transient_failures_become_api_request_failed_after_the_last_attempt(http, client, sleeps):
    http.queue("keep-alive", status(500, "db down"), transport_error(timeout=True), status(502, "bad gateway"))
    with pytest.raises(AvatarError) as excinfo:
        await client.keep_alive()
    err = excinfo.value
    assert err.code is E.API_REQUEST_FAILED and len(http.requests) == 3
    assert err.details == {"route": "keep-alive", "status": 502, "error": "bad gateway", "attempts": 3}


@pytest.mark.parametrize("code", [429, 503])
async def test_retry_after_is_honoured_on_429_and_503(http, client, sleeps, code):
    http.queue("create", status(code, retry_after="3"))
    await client.create(KS, "a", None)
    assert sleeps == [3.0]


async def test_retry_after_is_ignored_on_other_5xx(http, client, sleeps):
    http.queue("create", status(500, retry_after="3"))
    await client.create(KS, "a", None)
    assert sleeps == [0.5]


@pytest.mark.parametrize("code", [400, 405, 413, 415, 422])
async def test_other_4xx_fail_at_once(http, client, code):
    http.queue("say-text", status(code, "Text is required"))
    with pytest.raises(AvatarError) as excinfo:
        await client.say_text("x", "t", True)
    assert excinfo.value.code is E.API_REQUEST_FAILED and len(http.requests) == 1
    assert excinfo.value.details["error"] == "Text is required"


@pytest.mark.parametrize(
    "route, reply",
    [
        ("create", HttpResponse(200, {}, "<html>not json</html>")),
        ("create", ok(token=TOKEN)),
        ("create", ok(sessionId="s")),
        ("create", ok(sessionId=12, token=TOKEN)),
        ("init-client", ok(turn={"url": "t"})),
        ("init-client", ok(whepUrl="/relative/only")),
        ("init-client", HttpResponse(200, {}, "[]")),
        ("init-client", HttpResponse(200, {}, json.dumps({"success": False, "whepUrl": "http://x"}))),
    ],
)
async def test_malformed_2xx_is_api_request_failed_not_retried(http, client, route, reply):
    http.queue(route, reply)
    with pytest.raises(AvatarError) as excinfo:
        await (client.create(KS, "a", None) if route == "create" else client.init_client())
    assert excinfo.value.code is E.API_REQUEST_FAILED and excinfo.value.details["malformed"]
    assert len(http.requests) == 1


async def test_secrets_never_reach_error_messages_or_details(http, client):
    http.queue("create", status(401, f"bad KS {KS}"))
    with pytest.raises(AvatarError) as excinfo:
        await client.create(KS, "a", None)
    assert KS not in str(excinfo.value) and KS not in json.dumps(excinfo.value.details)


def test_end_now_sends_a_keepalive_request(http, client):
    client.end_now()
    (req,) = http.requests
    assert (req.method, req.url, req.keepalive) == ("POST", f"{BASE}/sess-1/end", True)
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
