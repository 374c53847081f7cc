"""Test controls: faults (status, body, headers, hang, drop, count), request log, sessions, expire, reset."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from emulator_support import CREATE_BODY, KS
from kaltura_avatar_emulator.app import build_app
from kaltura_avatar_emulator.config import Settings
from kaltura_avatar_emulator.faults import ROUTES
from kaltura_avatar_emulator.routing import ROUTE_NAMES

pytestmark = pytest.mark.timeout(30)


async def test_fault_status_count_then_normal(api):
    await api.fault("create", count=2, status=503, headers={"Retry-After": "1"})
    for _ in range(2):
        r = await api.create()
        assert r.status == 503 and r.body == {"success": False, "error": "Injected fault"}
        assert r.headers["Retry-After"] == "1"
    assert (await api.create()).status == 200


def test_every_fault_route_name_is_a_registered_route_and_no_other():
    app = build_app(Settings(test_controls=True))
    assert set(app[ROUTE_NAMES].values()) == ROUTES


async def test_a_fault_hits_its_route_by_every_path_of_it(api):
    await api.fault("create", count=3, status=503)
    for path in ("/v1/avatar-session", "/v1/avatar-session/", "/v1/avatar-session/create"):
        assert (await api.create(path=path)).status == 503, path
    assert (await api.create(path="/v1/avatar-session")).status == 200


async def test_fault_custom_body(api):
    sid, token = await api.session()
    await api.fault("say-text", status=400, body={"success": False, "error": "Custom"})
    r = await api.call(sid, "say-text", token, {"text": "hi", "turnId": "t"})
    assert r.status == 400 and r.body == {"success": False, "error": "Custom"}


@pytest.mark.parametrize("route", ["init-client", "say-text", "interrupt", "keep-alive", "end"])
async def test_fault_per_session_route(api, route):
    sid, token = await api.session()
    await api.fault(route, status=500)
    other = "keep-alive" if route != "keep-alive" else "interrupt"
    assert (await api.call(sid, other, token)).status == 200  # a fault only hits its own route
    r = await api.call(sid, route, token, {"text": "hi", "turnId": "t"})
    assert r.status == 500 and r.body["error"] == "Injected fault"
    assert (await api.call(sid, route, token, {"text": "hi", "turnId": "t"})).status == 200


async def test_fault_hang_then_proceed(api):
    await api.fault("create", hang=0.6)
    t = time.monotonic()
    r = await api.create()
    assert r.status == 200 and 0.55 < time.monotonic() - t < 3


async def test_fault_hang_with_status(api):
    await api.fault("create", hang=0.3, status=502)
    t = time.monotonic()
    r = await api.create()
    assert r.status == 502 and time.monotonic() - t > 0.25


async def test_fault_drop_closes_connection(api):
    await api.fault("create", drop=True)
    with pytest.raises(aiohttp.ClientError):
        await api.create()
    assert (await api.create()).status == 200


async def test_fault_on_backend_route_and_clear(api):
    await api.fault("create-avatar-session", count=5, status=500)
    assert (await api.request("GET", "/api/create-avatar-session")).status == 500
    assert (await api.request("DELETE", "/__test__/faults")).status == 200
    assert (await api.request("GET", "/api/create-avatar-session")).status == 200


async def test_fault_bad_route_is_400(api):
    r = await api.request("POST", "/__test__/faults", json={"route": "nope", "count": 1, "status": 500})
    assert r.status == 400


@pytest.mark.parametrize("count", [0, -1])
async def test_fault_count_below_one_is_400_and_never_fires(api, count):
    r = await api.request("POST", "/__test__/faults", json={"route": "create", "count": count, "status": 500})
    assert r.status == 400 and "count" in r.body["error"]
    assert (await api.create()).status == 200


async def test_request_log_redacts_secrets(api):
    sid, token = await api.session()
    await api.call(sid, "say-text", token, {"text": "hello", "turnId": "t1", "isFinal": True})
    log = (await api.request("GET", "/__test__/requests")).body
    create, say = [e for e in log if e["path"].startswith("/v1/")][:2]
    assert create["method"] == "POST" and create["path"] == "/v1/avatar-session/create"
    assert create["route"] == "create" and say["route"] == "say-text"
    assert create["headers"]["Authorization"] == "<redacted>" and create["body"] == CREATE_BODY
    assert say["body"] == {"text": "hello", "turnId": "t1", "isFinal": True}
    assert isinstance(say["t"], float) and abs(say["t"] - time.time()) < 30
    text = str(log)
    assert token not in text and KS not in text
    assert (await api.request("DELETE", "/__test__/requests")).status == 200
    assert (await api.request("GET", "/__test__/requests")).body == []


async def test_request_log_names_the_route_a_request_matched(api):
    await api.request("POST", "/v1/catalog-item/list", json={}, headers={"Authorization": f"KS {KS}"})
    await api.request("GET", "/v1/avatar-session/create")  # 405: no route matched
    await api.request("POST", "/v1/avatar-session/sid/no-such-route", json={})  # 404
    await api.request("POST", "/rtc/v1/whep/?app=app&stream=nope", data="v=0", headers={"Content-Type": "application/sdp"})
    await api.request("PATCH", "/rtc/v1/whep/resource/nope", data="", headers={"Content-Type": "application/trickle-ice-sdpfrag"})
    await api.request("GET", "/api/create-avatar-session")
    await api.request("GET", "/__test__/sessions")  # the test controls are not logged
    log = (await api.request("GET", "/__test__/requests")).body
    assert [(e["method"], e["route"]) for e in log] == [
        ("POST", None), ("GET", None), ("POST", None), ("POST", "whep-post"), ("PATCH", "whep-patch"),
        ("GET", "create-avatar-session")]


async def test_request_log_describes_multipart(api, make_mp3, audio_form):
    sid, token = await api.session()
    await api.call(sid, "say-audio", token, json=None, data=audio_form(make_mp3(0.3), turn_id="tx", duration="0.3"))
    entry = [e for e in (await api.request("GET", "/__test__/requests")).body if e["path"].endswith("/say-audio")][0]
    assert entry["body"]["turnId"] == "tx" and entry["body"]["duration"] == "0.3"
    assert "audio/mpeg" in entry["body"]["audio"]


async def test_session_state_shape(api):
    sid, token = await api.session()
    state = await api.snapshot(sid)
    assert set(state) >= {"id", "state", "avatar_id", "voice_id", "viewers", "frames_sent", "audio_queue_ms",
                          "speaking", "speech", "keepalives", "created", "ended_reason"}
    assert state["state"] == "active" and state["viewers"] == 0 and state["speech"] == [] and state["ended_reason"] is None
    listed = (await api.request("GET", "/__test__/sessions")).body
    assert [s["id"] for s in listed] == [sid]
    assert (await api.request("GET", "/__test__/sessions/nope")).status == 404


async def test_expire_and_reset(api):
    sid, token = await api.session()
    assert (await api.request("POST", f"/__test__/sessions/{sid}/expire")).status == 200
    r = await api.call(sid, "keep-alive", token)
    assert r.status == 410
    assert (await api.snapshot(sid))["ended_reason"] == "idle-timeout"
    sid2, token2 = await api.session()
    await api.fault("create", status=500)
    assert (await api.request("POST", "/__test__/reset")).status == 200
    assert (await api.create()).status == 200  # faults cleared
    log = (await api.request("GET", "/__test__/requests")).body
    assert [e["path"] for e in log] == ["/v1/avatar-session/create"]
    assert (await api.call(sid2, "keep-alive", token2)).status in (404, 410)


async def test_fault_no_media_answers_the_offer_but_sends_no_frame(api, http):
    from kaltura_avatar_emulator.viewer import connect

    sid, token = await api.session()
    whep_url = (await api.call(sid, "init-client", token)).body["whepUrl"]
    await api.fault("whep-post", no_media=True)
    viewer = await connect(http, whep_url)
    try:
        deadline = time.monotonic() + 10
        while viewer.pc.connectionState != "connected":  # the connection itself comes up
            assert time.monotonic() < deadline, viewer.pc.connectionState
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # 25 frames would have come by now
        assert viewer.answers[0] == ("POST", 201) and viewer.frames == [] and viewer.audio == []
        assert (await api.snapshot(sid))["frames_sent"] == 0
    finally:
        await viewer.close()
    viewer = await connect(http, whep_url)  # one fault, one viewer: the next one gets media
    try:
        await viewer.wait_frames(1, 5)
    finally:
        await viewer.close()


async def test_fault_no_media_is_for_whep_post_only(api):
    r = await api.request("POST", "/__test__/faults", json={"route": "create", "no_media": True})
    assert r.status == 400 and "whep-post" in r.body["error"]


async def test_request_log_records_each_answers_status(api):
    await api.fault("create", status=503)
    await api.fault("create", status=None, drop=True)
    assert (await api.create()).status == 503
    with pytest.raises(aiohttp.ClientError):
        await api.create()
    sid, token = await api.session()
    await api.call(sid, "keep-alive", "not-the-token")
    log = (await api.request("GET", "/__test__/requests")).body
    assert [(e["route"], e["status"]) for e in log] == [
        ("create", 503), ("create", None), ("create", 200), ("keep-alive", 401)]


async def test_a_fault_for_one_session_spares_the_others(api):
    one, token_one = await api.session()
    two, token_two = await api.session()
    await api.fault("keep-alive", count=2, status=500, session=two)
    assert (await api.call(one, "keep-alive", token_one)).status == 200
    assert [(await api.call(two, "keep-alive", token_two)).status for _ in range(3)] == [500, 500, 200]
