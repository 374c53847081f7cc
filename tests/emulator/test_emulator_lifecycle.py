"""Lifecycle on a strict server: idle timeout -> 410, token expiry -> 401, KS lists, cap, no test routes."""
from __future__ import annotations

import asyncio
import time

import pytest


pytestmark = pytest.mark.timeout(40)


async def test_idle_timeout_ends_session(strict_api):
    sid, token = await strict_api.session()
    assert (await strict_api.call(sid, "init-client", token)).status == 200
    await asyncio.sleep(1.6)  # idle timeout 1 s, checked every 0.1 s
    r = await strict_api.call(sid, "say-text", token, {"text": "hi", "turnId": "t"})
    assert r.status == 410 and r.body == {"success": False, "error": "Session ended"}


async def test_keep_alive_keeps_session_alive(strict_api):
    sid, token = await strict_api.session()
    for _ in range(8):  # 1.6 s, past the idle timeout
        await asyncio.sleep(0.2)
        assert (await strict_api.call(sid, "keep-alive", token)).status == 200
    assert (await strict_api.call(sid, "interrupt", token)).status == 200
    await strict_api.call(sid, "end", token)


async def test_token_expires(strict_api):
    sid, token = await strict_api.session()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # keep the session alive until the 3 s token lapses
        r = await strict_api.call(sid, "keep-alive", token)
        if r.status != 200:
            break
        await asyncio.sleep(0.2)
    assert r.status == 401 and r.body == {"success": False, "error": "Invalid or expired token"}
    assert time.monotonic() < deadline


async def test_accepted_and_forbidden_ks(strict_api):
    r = await strict_api.create(ks="unknown-ks")
    assert r.status == 401 and r.body["error"] == "Invalid Kaltura Session"
    r = await strict_api.create(ks="bad-ks")
    assert r.status == 403 and r.body["error"] == "Kaltura Session not authorized"
    r = await strict_api.create(ks="forbidden-ks")  # the default forbidden KS was replaced
    assert r.status == 401
    sid, token = await strict_api.session()
    await strict_api.call(sid, "end", token)


async def test_cap_of_two_and_idle_frees_places(strict_api):
    await asyncio.sleep(1.2)  # sessions left by other tests time out
    a = await strict_api.session()
    await strict_api.session()  # b: the second and last place
    r = await strict_api.create()
    assert r.status == 429 and r.body["success"] is False and r.headers["Retry-After"].isdigit()
    await strict_api.call(*a[:1], "end", a[1])
    await strict_api.session()  # c takes a's place
    await asyncio.sleep(1.6)  # b and c time out
    d = await strict_api.session()
    e = await strict_api.session()
    for sid, token in (d, e):
        await strict_api.call(sid, "end", token)


async def test_test_controls_are_off_by_default(strict_api):
    for method, path in [("GET", "/__test__/sessions"), ("GET", "/__test__/requests"), ("POST", "/__test__/reset"),
                         ("POST", "/__test__/faults")]:
        r = await strict_api.request(method, path, json={} if method == "POST" else None)
        assert r.status == 404
