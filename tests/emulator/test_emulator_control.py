"""Control API contract: every route, status code and error body of protocol.md section 1."""
from __future__ import annotations

import base64
import json

import pytest

from emulator_support import CREATE_BODY, KS
from kaltura_avatar_emulator.viewer import connect

pytestmark = pytest.mark.timeout(30)

ROUTES = ["init-client", "say-text", "say-audio", "interrupt", "keep-alive", "end"]


def error(reply, status: int, text: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.body)
    assert reply.body["success"] is False
    assert isinstance(reply.body["error"], str) and reply.body["error"]
    if text is not None:
        assert text.lower() in reply.body["error"].lower()


# --- create -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/avatar-session/create", "/v1/avatar-session"])
@pytest.mark.parametrize("body", [
    CREATE_BODY,
    {"visualConfig": {"id": "avatar-123"}},
    {"visualConfig": {"avatarId": "avatar-123"}, "voiceConfig": {"id": "voice-456", "speed": 1.5}},
])
async def test_create_both_paths_and_body_forms(api, path, body):
    r = await api.create(body, path=path)
    assert r.status == 200, r.body
    assert r.body["success"] is True
    sid, token = r.body["sessionId"], r.body["token"]
    assert isinstance(sid, str) and sid
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["sid"] == sid and 23 * 3600 < claims["exp"] - claims["iat"] <= 24 * 3600
    state = await api.snapshot(sid)
    assert state["avatar_id"] == "avatar-123" and state["voice_id"] == "voice-456"
    assert state["speed"] == body.get("voiceConfig", {}).get("speed", 1.0)


@pytest.mark.parametrize("scheme", ["KS", "ks", "Ks"])
async def test_ks_scheme_is_case_insensitive(api, scheme):
    r = await api.request("POST", "/v1/avatar-session/create", json=CREATE_BODY, headers={"Authorization": f"{scheme} abc"})
    assert r.status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "KS "}, {"Authorization": "Bearer abc"}, {"Authorization": "abc"}])
async def test_create_without_ks_is_401(api, headers):
    r = await api.request("POST", "/v1/avatar-session/create", json=CREATE_BODY, headers=headers)
    error(r, 401, "Invalid Kaltura Session")


async def test_forbidden_ks_is_403(api):
    error(await api.create(ks="forbidden-ks"), 403, "not authorized")


@pytest.mark.parametrize("body, text", [
    ({}, "visualConfig"),
    ({"visualConfig": "avatar-123"}, "visualConfig"),
    ({"visualConfig": {}}, "visualConfig"),
    ({"visualConfig": {"id": "no-such-avatar"}}, "Unknown avatar"),
    ({"visualConfig": {"id": "avatar-123"}, "voiceConfig": {"id": "no-such-voice"}}, "Unknown voice"),
    ({"visualConfig": {"id": "avatar-123"}, "voiceConfig": {"id": "voice-456", "speed": "fast"}}, "speed"),
    ({"visualConfig": {"id": "avatar-123"}, "voiceConfig": {"id": "voice-456", "speed": 9}}, "speed"),
])
async def test_create_bad_body_is_400(api, body, text):
    error(await api.create(body), 400, text)


async def test_create_malformed_json_400_wrong_type_415_too_big_413(api):
    h = {"Authorization": f"KS {KS}"}
    error(await api.request("POST", "/v1/avatar-session/create", data=b"{nope", headers={**h, "Content-Type": "application/json"}), 400, "JSON")
    error(await api.request("POST", "/v1/avatar-session/create", data=b"[1]", headers={**h, "Content-Type": "application/json"}), 400)
    error(await api.request("POST", "/v1/avatar-session/create", data=b"a=b", headers={**h, "Content-Type": "application/x-www-form-urlencoded"}), 415)
    big = json.dumps({"visualConfig": {"id": "avatar-123"}, "pad": "x" * 100_000}).encode()
    error(await api.request("POST", "/v1/avatar-session/create", data=big, headers={**h, "Content-Type": "application/json"}), 413)


async def test_cap_answers_429_with_retry_after(api):
    for _ in range(3):
        await api.session()
    r = await api.create()
    error(r, 429)
    assert int(r.headers["Retry-After"]) >= 1
    # ending one frees a place
    sessions = (await api.request("GET", "/__test__/sessions")).body
    sid = sessions[0]["id"]
    await api.request("POST", f"/__test__/sessions/{sid}/expire")
    assert (await api.create()).status == 200


# --- session routes -----------------------------------------------------------------

async def test_init_client(api, server):
    sid, token = await api.session()
    r = await api.call(sid, "init-client", token)
    assert r.status == 200 and r.body["success"] is True
    assert r.body["whepUrl"] == f"{server.url}/rtc/v1/whep/?app=app&stream={sid}"
    turn = r.body["turn"]
    assert turn["url"] and not turn["url"].startswith("turn") and ":" not in turn["url"]
    assert turn["username"] and turn["credential"]


@pytest.mark.parametrize("route", ROUTES)
async def test_every_route_needs_a_valid_bound_token(api, route):
    sid_a, token_a = await api.session()
    sid_b, token_b = await api.session()
    error(await api.call(sid_a, route, None), 401, "Invalid or expired token")
    error(await api.call(sid_a, route, "garbage"), 401, "Invalid or expired token")
    error(await api.call(sid_a, route, token_b), 401, "Invalid or expired token")  # B's token on A's route
    tampered = token_a[:-4] + ("AAAA" if not token_a.endswith("AAAA") else "BBBB")
    error(await api.call(sid_a, route, tampered), 401)
    error(await api.call("no-such-session", route, token_a), 404, "Session not found")
    # A session the server does not know is gone whatever the token (a restarted server knows
    # neither the session nor the key that signed its token): 404, never 401.
    error(await api.call("no-such-session", route, "garbage"), 404, "Session not found")
    await api.call(sid_a, "end", token_a)
    error(await api.call(sid_a, route, token_a), 410, "Session ended")


@pytest.mark.parametrize("route", ["init-client", "say-text", "interrupt", "keep-alive", "end"])
async def test_cors_preflight_and_headers_on_every_route(api, route):
    sid, token = await api.session()
    pre = await api.request("OPTIONS", f"/v1/avatar-session/{sid}/{route}", headers={
        "Origin": "http://example.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status in (200, 204)
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
    r = await api.call(sid, route, "bad", headers={"Origin": "http://example.test"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_say_text_validation(api):
    sid, token = await api.session()
    error(await api.call(sid, "say-text", token, {"turnId": "t"}), 400, "Text is required")
    error(await api.call(sid, "say-text", token, {"text": "   ", "turnId": "t"}), 400, "Text is required")
    error(await api.call(sid, "say-text", token, {"text": 5, "turnId": "t"}), 400, "Text is required")
    error(await api.call(sid, "say-text", token, {"text": "a" * 1001, "turnId": "t"}), 400, "too long")
    error(await api.call(sid, "say-text", token, {"text": "a", "turnId": "t", "isFinal": "false"}), 400, "isFinal")
    ok = await api.call(sid, "say-text", token, {"text": "a" * 1000, "turnId": "t", "isFinal": True})
    assert ok.status == 200 and ok.body == {"success": True}
    error(await api.call(sid, "say-text", token, data=b"{x", headers={"Content-Type": "application/json"}), 400)


async def test_say_text_queues_real_speech_in_order(api, http):
    sid, token = await api.session()
    r1 = await api.call(sid, "say-text", token, {"text": "Hello there.", "turnId": "t1", "isFinal": False})
    queued_1 = (await api.snapshot(sid))["audio_queue_ms"]
    r2 = await api.call(sid, "say-text", token, {"text": "Fine.", "turnId": "t2", "isFinal": True})
    queued_2 = (await api.snapshot(sid))["audio_queue_ms"]
    r3 = await api.call(sid, "say-text", token, {"text": "How are you doing today?", "turnId": "t1", "isFinal": True})
    queued_3 = (await api.snapshot(sid))["audio_queue_ms"]
    assert r1.status == r2.status == r3.status == 200
    assert 300 < queued_1 < queued_2 < queued_3 < 10_000  # nobody is watching: the queue only grows
    # a viewer plays it: t1 whole (both chunks), then t2
    viewer = await connect(http, (await api.call(sid, "init-client", token)).body["whepUrl"])
    try:
        speech = await api.speech_after(sid, 2)
        assert [s["turn_id"] for s in speech] == ["t1", "t2"]
        t1_ms = (speech[0]["end"] - speech[0]["start"]) * 1000
        assert t1_ms > queued_1 + (queued_3 - queued_2) - 200  # both t1 chunks, in one record
    finally:
        await viewer.close()


async def test_speed_changes_speech_length(api):
    slow_sid, slow_token = await api.session({"visualConfig": {"avatarId": "avatar-123"}, "voiceConfig": {"id": "voice-456", "speed": 0.5}})
    fast_sid, fast_token = await api.session({"visualConfig": {"avatarId": "avatar-123"}, "voiceConfig": {"id": "voice-456", "speed": 2.0}})
    text = {"text": "The quick brown fox jumps over the lazy dog.", "turnId": "t"}
    await api.call(slow_sid, "say-text", slow_token, text)
    await api.call(fast_sid, "say-text", fast_token, text)
    slow = (await api.snapshot(slow_sid))["audio_queue_ms"]
    fast = (await api.snapshot(fast_sid))["audio_queue_ms"]
    assert slow > 2.5 * fast


async def test_say_audio(api, make_mp3, audio_form):
    sid, token = await api.session()
    r = await api.call(sid, "say-audio", token, json=None, data=audio_form(make_mp3(1.0)))
    assert r.status == 200 and r.body == {"success": True}
    assert 900 < (await api.snapshot(sid))["audio_queue_ms"] < 1300


async def test_say_audio_accepts_wav(api, audio_form):
    import io
    import wave
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\x10\x20" * 8000)
    sid, token = await api.session()
    r = await api.call(sid, "say-audio", token, json=None, data=audio_form(buf.getvalue(), content_type="audio/wav"))
    assert r.status == 200
    assert 450 < (await api.snapshot(sid))["audio_queue_ms"] < 550


async def test_say_audio_errors(api, make_mp3, audio_form):
    sid, token = await api.session()
    error(await api.call(sid, "say-audio", token, json=None, data=audio_form(b"this is not audio at all" * 10)), 400, "decode")
    form = __import__("aiohttp").FormData()
    form.add_field("turnId", "t")
    form.add_field("duration", "1")
    form.add_field("other", b"x", filename="x.bin")
    error(await api.call(sid, "say-audio", token, json=None, data=form), 400, "Audio is required")
    error(await api.call(sid, "say-audio", token, {"audio": "x"}), 415)
    big = make_mp3(0.2) + b"\0" * (10 * 1024 * 1024)
    error(await api.call(sid, "say-audio", token, json=None, data=audio_form(big)), 413)
    assert (await api.snapshot(sid))["audio_queue_ms"] == 0


async def test_interrupt_drops_queue_and_is_idempotent(api):
    sid, token = await api.session()
    await api.call(sid, "say-text", token, {"text": "One two three four five six.", "turnId": "t"})
    assert (await api.snapshot(sid))["audio_queue_ms"] > 0
    for _ in range(2):
        r = await api.call(sid, "interrupt", token)
        assert r.status == 200 and r.body == {"success": True}
    assert (await api.snapshot(sid))["audio_queue_ms"] == 0


async def test_keep_alive_recorded(api):
    sid, token = await api.session()
    for _ in range(2):
        assert (await api.call(sid, "keep-alive", token)).body == {"success": True}
    assert len((await api.snapshot(sid))["keepalives"]) == 2


async def test_end_then_everything_is_410(api):
    sid, token = await api.session()
    r = await api.call(sid, "end", token)
    assert r.status == 200 and r.body == {"success": True}
    state = await api.snapshot(sid)
    assert state["state"] == "ended" and state["ended_reason"]
    error(await api.call(sid, "end", token), 410)
    error(await api.call(sid, "init-client", token), 410)


async def test_empty_body_without_content_type_is_accepted(api):
    sid, token = await api.session()
    r = await api.request("POST", f"/v1/avatar-session/{sid}/keep-alive", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200


async def test_unknown_api_path_is_json_404(api):
    r = await api.request("POST", "/v1/avatar-session/x/y/z")
    error(r, 404)


# --- catalog ------------------------------------------------------------------------

async def test_catalog(api):
    h = {"Authorization": f"KS {KS}"}
    vis = await api.request("POST", "/v1/catalog-item/list", json={"filter": {"typeEqual": "Visual"}, "pager": {"offset": 0, "limit": 100}}, headers=h)
    assert vis.status == 200
    ids = [o["itemId"] for o in vis.body["objects"]]
    assert "avatar-123" in ids and len(ids) >= 4 and vis.body["totalCount"] == len(ids)
    assert all(o["type"] == "Visual" and o["attributes"]["visual"]["name"] for o in vis.body["objects"])
    voices = await api.request("POST", "/v1/catalog-item/list", json={"filter": {"typeEqual": "Voice"}}, headers=h)
    vids = [o["itemId"] for o in voices.body["objects"]]
    assert "voice-456" in vids and len(vids) >= 3
    assert all(o["attributes"]["voice"]["name"] for o in voices.body["objects"])
    page = await api.request("POST", "/v1/catalog-item/list", json={"pager": {"offset": 1, "limit": 2}}, headers=h)
    assert len(page.body["objects"]) == 2 and page.body["totalCount"] == len(ids) + len(vids)
    # every catalog avatar and voice can be used to create a session
    sid, _ = await api.session({"visualConfig": {"id": ids[-1]}, "voiceConfig": {"id": vids[-1]}})
    assert (await api.snapshot(sid))["avatar_id"] == ids[-1]
    error(await api.request("POST", "/v1/catalog-item/list", json={}), 401)
    error(await api.request("POST", "/v1/catalog-item/list", json={"filter": {"typeEqual": "Nope"}}, headers=h), 400)


# --- the backend-created flow ---------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_backend_create_returns_only_session_and_token(api, method):
    r = await api.request(method, "/api/create-avatar-session")
    assert r.status == 200
    assert set(r.body) == {"sessionId", "token"}
    assert "emulator-backend-ks" not in json.dumps(r.body)
    init = await api.call(r.body["sessionId"], "init-client", r.body["token"])
    assert init.status == 200


async def test_backend_create_honours_ids_and_cap(api):
    r = await api.request("POST", "/api/create-avatar-session", json={"avatarId": "avatar-max", "voiceId": "voice-ben"})
    assert (await api.snapshot(r.body["sessionId"]))["avatar_id"] == "avatar-max"
    await api.session()
    await api.session()
    error(await api.request("GET", "/api/create-avatar-session"), 429)


async def test_backend_create_checks_its_own_ks_in_local_mode(strict_api):
    """Like the upstream mode: a KS the Control API would refuse (here: not in --ks) creates nothing."""
    error(await strict_api.request("GET", "/api/create-avatar-session"), 401, "Invalid Kaltura Session")
