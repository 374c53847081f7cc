import asyncio

import pytest

from fakes import ANSWER, OFFER, WHEP_URL, FakeHttp, HttpResponse, status, transport_error
from kaltura_avatar import AvatarError, AvatarErrorCode, RetryConfig
from kaltura_avatar.whep import TurnServer as Turn
from kaltura_avatar.whep import Trickler, WhepResource, ice_servers, negotiate, sdp_fragment

TURN_URLS = ["turn:{h}:80?transport=udp", "turn:{h}:443?transport=udp", "turn:{h}:80?transport=tcp",
             "turns:{h}:443?transport=tcp"]


@pytest.mark.parametrize("url", ["turn.example.com", "turn:turn.example.com", "turns:turn.example.com/",
                                 " TURN:turn.example.com// "])
def test_ice_servers_from_a_bare_turn_host(url):
    (server,) = ice_servers(Turn(url, "user", "pass"))
    assert server == {"urls": [u.format(h="turn.example.com") for u in TURN_URLS],
                      "username": "user", "credential": "pass"}


def test_no_turn_means_no_ice_servers():
    assert ice_servers(None) == [] and ice_servers(Turn("turn:/")) == []


async def post(http, sleeps=None, retry=RetryConfig()):
    async def sleep(s):
        (sleeps if sleeps is not None else []).append(s)

    return await negotiate(http, WHEP_URL, OFFER, retry, timeout=5, sleep=sleep)


async def test_offer_post_answer_location_resolved_and_etag():
    http = FakeHttp()
    answer, resource = await post(http)
    (req,) = http.requests
    assert (req.method, req.url, req.body) == ("POST", WHEP_URL, OFFER)
    assert req.headers == {"Content-Type": "application/sdp"}
    assert answer == ANSWER
    assert resource.location == "http://media.test/rtc/v1/whip/?action=delete&stream=sess-1"
    assert resource.etag == '"e1"'


async def test_409_waits_retry_after_then_succeeds():
    http, sleeps = FakeHttp(), []
    http.queue("whep-post", status(409, retry_after="2"))
    await post(http, sleeps)
    assert len(http.of("whep-post")) == 2 and sleeps == [2.0]


@pytest.mark.parametrize("transient", [status(500), status(503), transport_error()])
async def test_5xx_and_network_errors_are_retried(transient):
    http, sleeps = FakeHttp(), []
    http.queue("whep-post", transient, transient)
    await post(http, sleeps)
    assert len(http.requests) == 3 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize("code", [404, 415, 400, 403])
async def test_404_and_other_4xx_fail_at_once(code):
    http = FakeHttp()
    http.queue("whep-post", status(code))
    with pytest.raises(AvatarError) as excinfo:
        await post(http)
    assert excinfo.value.code is AvatarErrorCode.RTC_CONNECTION_FAILED
    assert excinfo.value.details["status"] == code and len(http.requests) == 1
    assert excinfo.value.final is (code == 404)  # only "no such stream" makes trying again pointless


async def test_persistent_409_fails_after_the_attempts():
    http = FakeHttp()
    http.queue("whep-post", *[status(409)] * 3)
    with pytest.raises(AvatarError) as excinfo:
        await post(http)
    assert excinfo.value.code is AvatarErrorCode.RTC_CONNECTION_FAILED
    assert excinfo.value.details["attempts"] == 3 and excinfo.value.final is False


async def test_location_after_a_redirect_resolves_against_where_the_answer_came_from():
    http = FakeHttp()
    http.queue("whep-post", HttpResponse(201, {"location": "resource/r1"}, ANSWER, "http://edge.test/whep/"))
    _, resource = await post(http)
    assert resource.location == "http://edge.test/whep/resource/r1"


def test_fragment_carries_credentials_mid_and_candidates():
    frag = sdp_fragment(OFFER, [("candidate:1 1 udp 9 127.0.0.1 5000 typ host", "0", 0)], end=False)
    assert frag == ("a=ice-ufrag:uf01\r\na=ice-pwd:pw0123456789\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                    "a=mid:0\r\na=candidate:1 1 udp 9 127.0.0.1 5000 typ host\r\n")
    end = sdp_fragment(OFFER, [("candidate:2 1 udp 9 h 1 typ host", None, 1)], end=True)
    assert "a=mid:1\r\n" in end and "m=audio" in end and end.endswith("a=end-of-candidates\r\n")


async def test_trickle_patches_with_if_match_after_the_answer():
    http = FakeHttp()
    resource = WhepResource(http, "http://media.test/rtc/res/1", '"e1"', 5)
    trickler = Trickler()
    trickler.add("candidate:1 1 udp 9 127.0.0.1 5000 typ host", "0", 0)  # found before the answer
    task = asyncio.ensure_future(trickler.run(resource, OFFER))
    await asyncio.sleep(0.01)
    trickler.add("candidate:2 1 udp 9 127.0.0.1 5001 typ host", "0", 0)
    trickler.add(None, None, None)
    await asyncio.wait_for(task, 1)
    patches = http.of("whep-patch")
    assert patches and all(p.headers == {"Content-Type": "application/trickle-ice-sdpfrag", "If-Match": '"e1"'}
                           for p in patches)
    body = "".join(p.body for p in patches)
    assert "5000 typ host" in body and "5001 typ host" in body and body.endswith("a=end-of-candidates\r\n")


@pytest.mark.parametrize("code", [405, 422, 501])
async def test_no_trickle_server_stops_patching(code):
    http = FakeHttp()
    http.queue("whep-patch", status(code))
    resource = WhepResource(http, "http://media.test/rtc/res/1", None, 5)
    trickler = Trickler()
    trickler.add("candidate:1 1 udp 9 h 1 typ host", "0", 0)
    task = asyncio.ensure_future(trickler.run(resource, OFFER))
    await asyncio.sleep(0.01)
    trickler.add("candidate:2 1 udp 9 h 2 typ host", "0", 0)
    await asyncio.wait_for(task, 1)
    assert len(http.of("whep-patch")) == 1 and "If-Match" not in http.requests[0].headers


async def test_delete_once_and_best_effort():
    http = FakeHttp()
    http.queue("whep-delete", transport_error())
    resource = WhepResource(http, "http://media.test/rtc/res/1", None, 5)
    await resource.delete()
    await resource.delete()
    resource.delete_now()
    assert http.routes() == ["whep-delete"]
    other = WhepResource(http, "http://media.test/rtc/res/2", None, 5)
    other.delete_now()
    assert http.requests[-1].keepalive and http.requests[-1].method == "DELETE"
