"""The emulator as another website would try it: CORS only to exact loopback or named origins,
cross-site requests refused before any work, Host names checked on every route, bounded speech,
and the headers every response carries."""
from __future__ import annotations

import io
import re
import subprocess
import sys

import av
import pytest
from aiohttp.test_utils import TestServer

from emulator_support import CREATE_BODY, KS, ROOT, Api, start_server
from kaltura_avatar_emulator.app import build_app
from kaltura_avatar_emulator.config import Settings
from kaltura_avatar_emulator.speech import Speaker

pytestmark = pytest.mark.timeout(60)

BACKEND = "/api/create-avatar-session"
LOOPBACK_ORIGINS = ["http://127.0.0.1:8080", "http://127.5.6.7:1", "http://localhost:3000", "http://[::1]:9000",
                    "https://localhost"]
FOREIGN_ORIGINS = ["http://127.evil.example", "http://127.0.0.1.evil.example", "http://localhost.evil.example",
                   "http://evil.test", "https://app.example.evil", "null"]


def refused(r, status: int = 403) -> None:
    assert r.status == status and r.body["success"] is False and isinstance(r.body["error"], str), (r.status, r.body)
    assert not any(h.lower().startswith("access-control-") for h in r.headers), r.headers


async def created(api: Api) -> int:
    return len((await api.request("GET", "/__test__/sessions")).body)


@pytest.fixture(scope="module")
def limited(site, tmp_path_factory):
    """An emulator with small limits and the options that open it further."""
    s = start_server(tmp_path_factory.mktemp("limited"), "--test-controls", "--root", str(site),
                     "--max-audio-seconds", "10", "--max-queue-seconds", "5", "--max-turn-chars", "50",
                     "--allow-origin", "https://app.example", "--allow-host", "avatar.lan")
    yield s
    s.stop()


@pytest.fixture
async def limited_api(limited, http) -> Api:
    a = Api(limited.url, http)
    assert (await a.request("POST", "/__test__/reset")).status == 200
    return a


# --- origins ------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", LOOPBACK_ORIGINS)
async def test_the_backend_route_answers_cors_to_exact_loopback_origins(api, origin):
    pre = await api.request("OPTIONS", BACKEND, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"})
    assert pre.status == 204 and pre.headers["Access-Control-Allow-Origin"] == origin
    assert pre.headers["Access-Control-Allow-Private-Network"] == "true" and pre.headers["Vary"] == "Origin"
    r = await api.request("POST", BACKEND, json={}, headers={"Origin": origin, "Sec-Fetch-Site": "cross-site"})
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == origin
    await api.call(r.body["sessionId"], "end", r.body["token"])


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_other_origins_get_no_cors_no_private_network_and_no_session(api, origin):
    pre = await api.request("OPTIONS", BACKEND, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"})
    refused(pre)
    for method in ("GET", "POST"):
        refused(await api.request(method, BACKEND + "?avatarId=avatar-123", headers={"Origin": origin}))
    assert await created(api) == 0


async def test_allow_origin_adds_exactly_that_origin(limited_api):
    ok = await limited_api.request("POST", BACKEND, json={}, headers={"Origin": "https://app.example"})
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    for origin in ("https://app.example.evil", "http://app.example", "https://app.example:8443"):
        refused(await limited_api.request("POST", BACKEND, json={}, headers={"Origin": origin}))
    assert await created(limited_api) == 1


async def test_the_control_api_and_whep_stay_open_to_any_origin(api):
    """As the live service is: a KS or a session token is still required."""
    origin = {"Origin": "http://evil.test"}
    r = await api.request("POST", "/v1/avatar-session/create", json=CREATE_BODY, headers={**origin, "Authorization": f"KS {KS}"})
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    pre = await api.request("OPTIONS", "/rtc/v1/whep/?app=app&stream=x", headers={
        **origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"})
    assert pre.headers["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Private-Network" not in pre.headers


# --- cross-site requests ------------------------------------------------------------------

CROSS_SITE = [
    ("GET", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}),  # <img src>
    ("GET", {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"}),  # a link from a sibling subdomain
    ("POST", {"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}),
    ("POST", {"Origin": "null", "Content-Type": "application/x-www-form-urlencoded"}),  # a sandboxed form
]


@pytest.mark.parametrize("method,headers", CROSS_SITE)
async def test_cross_site_requests_create_nothing(api, method, headers):
    body = {"data": b"avatarId=avatar-123"} if method == "POST" else {}
    refused(await api.request(method, BACKEND + "?avatarId=avatar-123&voiceId=voice-456", headers=headers, **body))
    assert await created(api) == 0
    # refused before any work: not even logged as a request the routes saw
    assert not [e for e in (await api.request("GET", "/__test__/requests")).body if e["path"] == BACKEND]


@pytest.mark.parametrize("headers", [
    {},  # curl, a script on this machine
    {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},  # the seed's fetch('/api/create-avatar-session')
    {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"},  # typed into the address bar
])
async def test_same_origin_and_local_clients_still_create(api, headers):
    r = await api.request("GET", BACKEND, headers=headers)
    assert r.status == 200 and set(r.body) == {"sessionId", "token"}
    assert "Access-Control-Allow-Origin" not in r.headers


async def test_a_cross_site_request_spends_no_upstream_session(server, api):
    """With --upstream-url the route spends real sessions: a refused request never reaches the upstream."""
    front = TestServer(build_app(Settings(upstream_url=server.url + "/v1/avatar-session", upstream_ks="backend-ks")),
                       host="127.0.0.1")
    await front.start_server()
    try:
        front_api = Api(str(front.make_url("")).rstrip("/"), api.http)
        refused(await front_api.request("GET", BACKEND, headers={"Sec-Fetch-Site": "cross-site"}))
        refused(await front_api.request("POST", BACKEND, json={}, headers={"Origin": "https://evil.test"}))
        assert not [e for e in (await api.request("GET", "/__test__/requests")).body if e["route"] == "create"]
        ok = await front_api.request("POST", BACKEND, json={}, headers={"Origin": "http://localhost:8080"})
        assert ok.status == 200 and await created(api) == 1
    finally:
        await front.close()


async def test_the_test_controls_serve_no_other_site(api):
    sid, _ = await api.session()
    for headers in ({"Origin": "http://evil.test"}, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}):
        refused(await api.request("POST", "/__test__/reset", headers=headers))
        refused(await api.request("GET", "/__test__/requests", headers=headers))
        refused(await api.request("POST", "/__test__/faults", json={"route": "create"}, headers=headers))
    assert (await api.snapshot(sid))["state"] == "active"  # not reset
    assert (await api.request("GET", "/__test__/faults")).body == {}
    local = await api.request("GET", "/__test__/sessions", headers={"Origin": "http://127.0.0.1:5173"})
    assert local.status == 200 and local.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"


# --- the Host header ----------------------------------------------------------------------

ROUTES = ["/", "/static/app.js", "/v1/catalog-item/list", "/rtc/v1/whep/?app=app&stream=x", BACKEND, "/__test__/sessions"]


@pytest.mark.parametrize("host", ["rebind.evil.example", "127.evil.example", "localhost.evil.example", "evil@127.0.0.1", ""])
async def test_a_foreign_host_is_refused_on_every_route(api, host):
    for path in ROUTES:
        refused(await api.request("GET", path, headers={"Host": host}), 421)
    assert await created(api) == 0


async def test_loopback_and_allowed_hosts_are_answered(api, limited_api):
    port = api.base.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.2", "LOCALHOST"):
        assert (await api.request("GET", "/", headers={"Host": host})).status == 200, host
    sid, token = await api.session()
    init = await api.call(sid, "init-client", token, headers={"Host": f"localhost:{port}"})
    assert init.body["whepUrl"].startswith(f"http://localhost:{port}/rtc/v1/whep/")
    assert (await limited_api.request("GET", "/", headers={"Host": "avatar.lan:8000"})).status == 200
    refused(await limited_api.request("GET", "/", headers={"Host": "avatar.lan.evil.example"}), 421)


def test_binding_another_address_warns_and_answers_that_host(tmp_path):
    """--host 0.0.0.0 (inside the tests' namespace only loopback reaches it)."""
    log = tmp_path / "stderr.log"
    proc = subprocess.Popen([sys.executable, "-m", "kaltura_avatar_emulator", "--host", "0.0.0.0", "--port", "0",
                             "--test-controls"], cwd=ROOT, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    try:
        port = re.fullmatch(r"Serving on http://0\.0\.0\.0:(\d+)/\n", proc.stdout.readline())[1]
        warning = log.read_text()
        for words in ("warning: listening on 0.0.0.0", "other machines", "/api/create-avatar-session",
                      "server's own KS", "/__test__/", "--allow-host"):
            assert words in warning, (words, warning)

        def status(host: str) -> str:
            import http.client
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
            conn.request("GET", "/", headers={"Host": host})
            return conn.getresponse().status

        assert status(f"0.0.0.0:{port}") == 200 and status(f"127.0.0.1:{port}") == 200
        assert status("my-laptop.example") == 421
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- headers ------------------------------------------------------------------------------

async def test_every_response_is_nosniff_and_every_page_has_the_policy(api):
    for path in ("/", "/static/app.js", "/static/sub/", "/e2e/page.html", "/nope", "/v1/avatar-session/x/end", BACKEND):
        r = await api.request("GET" if path != "/v1/avatar-session/x/end" else "POST", path)
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
        html = r.headers.get("Content-Type", "").startswith("text/html")
        assert ("Content-Security-Policy" in r.headers) == html, path
    page = (await api.request("GET", "/")).headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in page.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and "'wasm-unsafe-eval'" in directives["script-src"]
    assert "'unsafe-inline'" not in page  # the demo has no inline script or style
    for directive, sources in directives.items():  # nothing from another origin
        others = [s for s in sources.split() if ":" in s and s != "data:"]
        assert not others or directive == "connect-src", (directive, others)
    # requests only to itself, loopback backends and the live service
    assert directives["connect-src"] == "'self' http://127.0.0.1:* http://localhost:* https://*.kaltura.ai"
    mounted = dict(d.strip().split(" ", 1) for d in (await api.request("GET", "/e2e/page.html")).headers["Content-Security-Policy"].split(";"))
    assert mounted["script-src"] == "'self' 'wasm-unsafe-eval' 'unsafe-eval' 'unsafe-inline'"  # people's own pages
    assert mounted["frame-ancestors"] == "'none'" and mounted["default-src"] == "'none'"


# --- bounded work -------------------------------------------------------------------------

@pytest.fixture
def mp3(make_mp3):
    """`mp3(seconds, bit_rate)`: a bare MP3 stream (no ID3 tag, no Xing header): two concatenate into one."""
    return lambda seconds, bit_rate: make_mp3(seconds, bit_rate=bit_rate, bare=True)


async def test_say_audio_refuses_audio_over_the_limit(limited_api, audio_form, mp3):
    sid, token = await limited_api.session()
    long = mp3(30, 32000)  # 30 s, judged from the stream before decoding
    r = await limited_api.call(sid, "say-audio", token, json=None, data=audio_form(long))
    assert r.status == 400 and r.body["error"] == "Audio is too long (30 s; max 10 s): send it as shorter clips"
    # a stream that understates its length (a 320 kbit/s start makes 42 s look like 6 s) is cut at the limit
    lying = mp3(2, 320000) + mp3(40, 32000)
    with av.open(io.BytesIO(lying)) as container:
        assert container.duration / av.time_base < 10
    r = await limited_api.call(sid, "say-audio", token, json=None, data=audio_form(lying))
    assert r.status == 400 and r.body["error"] == "Audio is too long (10 s; max 10 s): send it as shorter clips"
    assert (await limited_api.snapshot(sid))["audio_queue_ms"] == 0  # nothing of either was queued


async def test_queued_speech_is_bounded_with_retry_after(limited_api, audio_form, mp3):
    """No viewer, so nothing plays: 8 s queued of a 5 s bound, the next request waits at least 3 s."""
    sid, token = await limited_api.session()
    assert (await limited_api.call(sid, "say-audio", token, json=None, data=audio_form(mp3(8, 32000)))).status == 200
    for route, kw in (("say-audio", {"json": None, "data": audio_form(mp3(1, 32000))}), ("say-text", {"json": {"text": "Hi."}})):
        r = await limited_api.call(sid, route, token, **kw)
        assert r.status == 429 and int(r.headers["Retry-After"]) >= 3, (route, r.body)
        assert "interrupt" in r.body["error"]
    await limited_api.call(sid, "interrupt", token)
    assert (await limited_api.call(sid, "say-text", token, json={"text": "Hi."})).status == 200


def test_queued_segments_are_bounded_whatever_their_length():
    speaker = Speaker()
    for n in range(Speaker.MAX_QUEUED_SEGMENTS):
        assert speaker.wait_before_more(600) is None
        speaker.reserve("t", final=False)  # still synthesising: no audio counted yet
    assert speaker.wait_before_more(600) == 1


async def test_say_text_refuses_a_turn_that_grows_past_the_limit(limited_api):
    sid, token = await limited_api.session()
    chunk = "Hi. " * 7  # 28 characters, a few seconds of speech
    assert (await limited_api.call(sid, "say-text", token, json={"text": chunk, "turnId": "t1", "isFinal": False})).status == 200
    r = await limited_api.call(sid, "say-text", token, json={"text": chunk, "turnId": "t1", "isFinal": True})
    assert r.status == 400 and r.body["error"] == "This turn's text is too long (max 50 characters in all): start a new turn"
    assert (await limited_api.call(sid, "say-text", token, json={"text": chunk, "turnId": "t2"})).status == 200
