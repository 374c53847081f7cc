"""WHEP contract: 201 + relative Location + ETag, trickle PATCH, DELETE, 404/409/412/415, CORS."""
from __future__ import annotations

import asyncio
import time
from urllib.parse import urljoin

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from emulator_support import Api, start_server
from kaltura_avatar import AvatarError, AvatarErrorCode
from kaltura_avatar_emulator.viewer import connect

pytestmark = pytest.mark.timeout(40)

MDNS = "a=candidate:9 1 udp 2113937151 0c6e1f6a-7f2b-4c1c-9f8e-3b1f2a1d9e77.local 54321 typ host generation 0\r\n"


async def offer_sdp() -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


@pytest.fixture
async def whep(api):
    sid, token = await api.session()
    init = await api.call(sid, "init-client", token)
    return api, sid, token, init.body["whepUrl"]


async def test_post_answers_201_with_relative_location_and_etag(whep, http):
    api, sid, token, url = whep
    async with http.post(url, data=await offer_sdp(), headers={"Content-Type": "application/sdp", "Origin": "http://x.test"}) as r:
        body = await r.text()
        assert r.status == 201
        assert r.content_type == "application/sdp" and body.startswith("v=0")
        assert "a=candidate:" in body and " 127.0.0.1 " in body  # loopback host candidates
        assert r.headers["Location"].startswith("/") and "://" not in r.headers["Location"]
        assert r.headers["ETag"]
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"location", "etag"} <= exposed
        resource = urljoin(url, r.headers["Location"])
    async with http.delete(resource) as r:
        assert r.status == 200
    async with http.delete(resource) as r:
        assert r.status == 404


async def test_viewer_connects_fast_despite_mdns_candidates(whep, http):
    api, sid, token, url = whep
    t = time.monotonic()
    viewer = await connect(http, url, extra_sdp=MDNS)
    try:
        await viewer.wait_frames(1, 3)
        assert time.monotonic() - t < 1.0  # resolving the .local name alone costs about 1 s
    finally:
        await viewer.close()


async def test_second_viewer_is_409_with_retry_after(whep, http):
    api, sid, token, url = whep
    viewer = await connect(http, url)
    try:
        await viewer.wait_frames(1, 5)  # connected: only a healthy viewer holds the stream
        async with http.post(url, data=await offer_sdp(), headers={"Content-Type": "application/sdp"}) as r:
            assert r.status == 409 and int(r.headers["Retry-After"]) >= 1
            assert (await r.json())["success"] is False
        await viewer.close()  # the teardown the SDK does: close the peer connection, DELETE the resource
        assert viewer.answers[-1] == ("DELETE", 200)
        again = await connect(http, url)
        await again.close()
    finally:
        await viewer.close()


async def post_stale_offer(http, url: str) -> str:
    """POST an offer without candidates from a peer that is gone: it never connects. Its resource URL."""
    sdp = await offer_sdp()  # that peer is closed: nobody answers the server's connectivity checks
    sdp = "".join(ln + "\r\n" for ln in sdp.split("\r\n")[:-1]
                  if not ln.startswith(("a=candidate:", "a=end-of-candidates")))
    async with http.post(url, data=sdp, headers={"Content-Type": "application/sdp"}) as r:
        assert r.status == 201
        return urljoin(url, r.headers["Location"])


async def test_viewer_that_never_connects_is_replaced(whep, http, server):
    """A page reload, or an SDK reconnect whose DELETE was lost, must not find the stream taken."""
    api, sid, token, url = whep
    stale = await post_stale_offer(http, url)
    viewer = await connect(http, url)
    try:
        await viewer.wait_frames(5, 5)
        assert (await api.snapshot(sid))["viewers"] == 1
        async with http.delete(stale) as r:
            assert r.status == 404  # the stale resource is gone...
        rid = stale.rsplit("/", 1)[1]
        assert f"viewer {rid} closed (replaced)" in server.log.read_text()  # ...and its peer connection closed
    finally:
        await viewer.close()


async def test_viewer_that_never_connects_is_dropped_after_the_connect_timeout(tmp_path, http):
    server = start_server(tmp_path, "--test-controls", "--viewer-connect-timeout", "1")
    try:
        api = Api(server.url, http)
        sid, token = await api.session()
        stale = await post_stale_offer(http, (await api.call(sid, "init-client", token)).body["whepUrl"])
        assert (await api.snapshot(sid))["viewers"] == 1
        t = time.monotonic()
        while (await api.snapshot(sid))["viewers"] and time.monotonic() - t < 5:
            await asyncio.sleep(0.1)
        assert 0.8 < time.monotonic() - t < 3
        async with http.delete(stale) as r:
            assert r.status == 404
        assert f"viewer {stale.rsplit('/', 1)[1]} closed (not connected within 1 s)" in server.log.read_text()
    finally:
        assert server.stop() == 0


async def test_post_errors(whep, http):
    api, sid, token, url = whep
    sdp = await offer_sdp()
    async with http.post(url, data=sdp, headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415
    async with http.post(url.replace(sid, "nope"), data=sdp, headers={"Content-Type": "application/sdp"}) as r:
        assert r.status == 404 and (await r.json())["success"] is False
    async with http.post(url, data="not sdp", headers={"Content-Type": "application/sdp"}) as r:
        assert r.status == 400
    await api.call(sid, "end", token)
    async with http.post(url, data=sdp, headers={"Content-Type": "application/sdp"}) as r:
        assert r.status == 404


async def test_viewer_raises_the_sdks_error_with_the_status_of_a_refused_post(whep, http):
    api, sid, token, url = whep
    with pytest.raises(AvatarError) as caught:
        await connect(http, url.replace(sid, "nope"))
    assert caught.value.code is AvatarErrorCode.RTC_CONNECTION_FAILED and caught.value.details["status"] == 404


async def test_trickle_patch(whep, http):
    api, sid, token, url = whep
    viewer = await connect(http, url, trickle=True)
    try:
        res = viewer.location
        frag = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=mid:0\r\n" \
               "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"
        hdr = {"Content-Type": "application/trickle-ice-sdpfrag"}
        async with http.patch(res, data=frag, headers={**hdr, "If-Match": viewer.etag}) as r:
            assert r.status == 204
        t = time.monotonic()
        async with http.patch(res, data=frag.replace("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n", MDNS), headers=hdr) as r:
            assert r.status == 204 and time.monotonic() - t < 0.5  # .local stripped, not resolved
        chromium = ("a=mid:0\r\n"
                    "a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 ufrag abcd network-id 1\r\n"
                    "a=candidate:3 1 udp 2122262783 ::1 50000 typ host generation 0 ufrag abcd network-id 2\r\n"
                    "a=candidate:4 1 udp 1686052607 127.0.0.1 50001 typ srflx raddr 0.0.0.0 rport 0 generation 0\r\n"
                    "a=end-of-candidates\r\n")
        async with http.patch(res, data=chromium, headers=hdr) as r:  # what a browser trickles
            assert r.status == 204
        async with http.patch(res, data=frag, headers={**hdr, "If-Match": '"stale"'}) as r:
            assert r.status == 412
        async with http.patch(res, data=frag, headers={"Content-Type": "application/sdp"}) as r:
            assert r.status == 415
        async with http.patch(res, data="a=candidate:broken\r\n", headers=hdr) as r:
            assert r.status == 400
        async with http.patch(api.base + "/rtc/v1/whep/resource/nope", data=frag, headers=hdr) as r:
            assert r.status == 404
        await viewer.wait_frames(5, 5)  # a PATCH never disturbs a working connection
    finally:
        await viewer.close()


async def test_cors_preflight_of_a_real_resource(whep, http):
    """What a browser asks before trickling to the Location of a real POST: PATCH with If-Match, then DELETE."""
    api, sid, token, url = whep
    viewer = await connect(http, url)
    try:
        for method in ("PATCH", "DELETE"):
            async with http.options(viewer.location, headers={
                    "Origin": "http://x.test", "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "content-type, if-match"}) as r:
                assert r.status in (200, 204) and r.headers["Access-Control-Allow-Origin"] == "*"
                assert method in r.headers["Access-Control-Allow-Methods"]
                assert "if-match" in r.headers["Access-Control-Allow-Headers"].lower()
        # the preflight is not the resource: it neither ends nor disturbs the viewer
        await viewer.wait_frames(len(viewer.frames) + 3, 5)
        assert (await api.snapshot(sid))["viewers"] == 1
    finally:
        await viewer.close()


@pytest.mark.parametrize("route, method", [("whep-post", "POST"), ("whep-patch", "PATCH"), ("whep-delete", "DELETE")])
async def test_whep_faults(whep, http, route, method):
    api, sid, token, url = whep
    viewer = await connect(http, url)
    try:
        await api.fault(route, status=503, headers={"Retry-After": "1"})
        target = url if method == "POST" else viewer.location
        ctype = {"POST": "application/sdp", "PATCH": "application/trickle-ice-sdpfrag"}.get(method, "text/plain")
        async with http.request(method, target, data="x", headers={"Content-Type": ctype}) as r:
            assert r.status == 503 and r.headers["Retry-After"] == "1"
    finally:
        await viewer.close()
