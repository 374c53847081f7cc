"""The backend route in upstream mode: the SDK's Control API client creates the session on `server`
(the upstream) and its errors become the route's answers. The front emulator runs in this process,
with a short upstream timeout; the env-driven wiring of the same mode is in test_emulator_cli.py."""
from __future__ import annotations

import socket

import pytest
from aiohttp.test_utils import TestServer

from emulator_support import Api
from kaltura_avatar_emulator.app import build_app
from kaltura_avatar_emulator.config import Settings

pytestmark = pytest.mark.timeout(30)

BACKEND_KS = "backend-ks"


@pytest.fixture
async def front(server, api):
    """Start an emulator whose backend route creates sessions at `upstream` (default: `server`)."""
    started: list[TestServer] = []

    async def start(upstream: str = server.url + "/v1/avatar-session") -> Api:
        settings = Settings(upstream_url=upstream, upstream_ks=BACKEND_KS, upstream_timeout=0.3)
        test_server = TestServer(build_app(settings), host="127.0.0.1")
        await test_server.start_server()
        started.append(test_server)
        return Api(str(test_server.make_url("")).rstrip("/"), api.http)

    yield start
    for test_server in started:
        await test_server.close()


async def creates_upstream(api: Api) -> int:
    return sum(e["route"] == "create" for e in (await api.request("GET", "/__test__/requests")).body)


async def backend_create(front_api: Api):
    r = await front_api.request("POST", "/api/create-avatar-session", json={})
    assert r.body["success"] is False and isinstance(r.body["error"], str), r.body
    assert BACKEND_KS not in str(r.body)
    return r


async def test_refused_ks_is_the_upstream_status_and_text_at_once(api, front):
    await api.fault("create", status=401, body={"success": False, "error": "Invalid Kaltura Session"})
    r = await backend_create(await front())
    assert r.status == 401 and r.body == {"success": False, "error": "Invalid Kaltura Session"}
    assert await creates_upstream(api) == 1  # never retried


async def test_server_error_is_the_upstream_status_after_the_sdks_retries(api, front):
    await api.fault("create", count=3, status=500)
    r = await backend_create(await front())
    assert r.status == 500 and r.body["error"] == "Injected fault"
    assert await creates_upstream(api) == 3


async def test_one_transient_failure_is_retried_away(api, front):
    await api.fault("create", status=503)
    r = await (await front()).request("GET", "/api/create-avatar-session")
    assert r.status == 200 and set(r.body) == {"sessionId", "token"}
    assert await creates_upstream(api) == 2


async def test_malformed_answer_is_502(api, front):
    await api.fault("create", status=200, body={"success": True, "sessionId": "s-1"})  # no token
    r = await backend_create(await front())
    assert r.status == 502 and "could not be used" in r.body["error"]
    assert await creates_upstream(api) == 1


async def test_unreachable_upstream_is_502(front):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/v1/avatar-session"
    r = await backend_create(await front(refused))
    assert r.status == 502 and r.body["error"].startswith("Can't reach http://127.0.0.1:")


async def test_no_answer_in_time_is_504(api, front):
    await api.fault("create", count=3, hang=1, status=500)
    r = await backend_create(await front())
    assert r.status == 504 and "No answer from" in r.body["error"]
    assert await creates_upstream(api) == 3
