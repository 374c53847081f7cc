"""``AiohttpHttp``, the SDK's HTTP port on CPython, against a small real aiohttp server."""

import asyncio
import hashlib
import json
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from kaltura_avatar.cpython import AiohttpHttp
from kaltura_avatar.ports import TransportError


async def echo(request: web.Request) -> web.Response:
    raw = await request.read()
    response = web.json_response(
        {"method": request.method, "headers": dict(request.headers), "sha256": hashlib.sha256(raw).hexdigest()},
        status=int(request.query.get("status", 200)),
        headers={"X-Answer": "one", "ETag": '"e1"'},
    )
    response.headers.add("X-Answer", "two")
    return response


async def moved(request: web.Request) -> web.Response:
    raise web.HTTPTemporaryRedirect("/echo?status=201")


@pytest.fixture
async def server():
    hits: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        hits.append(request.method)
        await asyncio.sleep(float(request.query.get("s", 5)))
        return web.Response(text="late")

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_route("*", "/moved", moved)
    app.router.add_route("*", "/slow", slow)
    async with TestServer(app, host="127.0.0.1") as test_server:
        test_server.hits = hits
        yield test_server


@pytest.fixture
async def http():
    client = AiohttpHttp()
    yield client
    await client.close()


def refused_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


async def test_status_lower_case_headers_and_text_body(server, http):
    r = await http.request("PATCH", str(server.make_url("/echo?status=404")), body="a=mid:0\r\n", timeout=5,
                           headers={"Content-Type": "application/trickle-ice-sdpfrag", "If-Match": '"e1"'})
    assert r.status == 404  # an answer, whatever its status, is not an error
    assert r.header("ETag") == r.headers["etag"] == '"e1"'
    assert r.headers["x-answer"] == "one, two"  # repeated names joined, as fetch does
    assert all(name == name.lower() for name in r.headers)
    got = json.loads(r.body)
    assert got["method"] == "PATCH"
    assert got["headers"]["Content-Type"] == "application/trickle-ice-sdpfrag" and got["headers"]["If-Match"] == '"e1"'
    assert got["sha256"] == hashlib.sha256(b"a=mid:0\r\n").hexdigest()
    assert r.url == str(server.make_url("/echo?status=404"))


async def test_bytes_body_arrives_unchanged(server, http):
    data = bytes(range(256)) * 4
    r = await http.request("POST", str(server.make_url("/echo")), headers={"Content-Type": "audio/mpeg"},
                           body=data, timeout=5)
    assert r.status == 200 and json.loads(r.body)["sha256"] == hashlib.sha256(data).hexdigest()


async def test_redirect_is_followed_and_url_says_where_the_answer_came_from(server, http):
    r = await http.request("POST", str(server.make_url("/moved")), headers={"Content-Type": "application/sdp"},
                           body="v=0\r\n", timeout=5)
    assert r.status == 201 and r.url == str(server.make_url("/echo?status=201"))
    got = json.loads(r.body)  # a 307 keeps the method and the body
    assert got["method"] == "POST" and got["sha256"] == hashlib.sha256(b"v=0\r\n").hexdigest()


async def test_timeout_is_a_transport_error_that_says_so(server, http):
    loop = asyncio.get_running_loop()
    t = loop.time()
    with pytest.raises(TransportError) as caught:
        await http.request("GET", str(server.make_url("/slow")), headers={}, body=None, timeout=0.2)
    assert caught.value.timeout is True and loop.time() - t < 2


@pytest.mark.parametrize("url", [refused_url(), "http://"])
async def test_no_connection_is_a_transport_error(http, url):
    with pytest.raises(TransportError) as caught:
        await http.request("POST", url, headers={}, body="{}", timeout=5)
    assert caught.value.timeout is False


async def test_send_and_forget_sends_in_the_background_and_never_raises(server, http):
    http.send_and_forget("POST", str(server.make_url("/slow?s=0")), headers={}, body="{}")
    http.send_and_forget("POST", refused_url(), headers={}, body="{}")  # fails quietly
    assert server.hits == []  # not sent yet: it runs in a task
    await http.close()  # waits for what was started
    assert server.hits == ["POST"]


def test_send_and_forget_without_an_event_loop_does_not_raise():
    http = AiohttpHttp()
    assert http.send_and_forget("DELETE", refused_url(), headers={}, body=None) is None
    assert not http._forgotten  # nothing was started that close() would wait for


async def test_a_given_session_is_used_and_left_open(server):
    async with aiohttp.ClientSession(headers={"X-Shared": "yes"}) as session:
        http = AiohttpHttp(session)
        r = await http.request("GET", str(server.make_url("/echo")), headers={}, body=None, timeout=5)
        assert json.loads(r.body)["headers"]["X-Shared"] == "yes"
        await http.close()
        assert not session.closed
