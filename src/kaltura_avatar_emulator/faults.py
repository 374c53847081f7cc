"""The test controls' data and the middleware that applies it: faults queued per named route
(``ROUTES``, the names ``POST /__test__/faults`` accepts) and the log of every request received.

A fault answers with ``status`` (after ``hang`` seconds), or drops the connection (``drop``), or,
with ``no_media`` on ``whep-post``, lets the offer be answered normally while the viewer's tracks
never send a frame (media that never starts). A fault with ``session`` hits only that session's
requests, so a test can fail one session's keep-alive while others run beside it."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from . import redact
from .bodies import describe
from .routing import route_name_of

NO_MEDIA = "no_media"  # set on a request whose handler must answer but send no media

ROUTES = {  # a contract with the tests: the names routing.add_route gives the API routes
    "create", "init-client", "say-text", "say-audio", "interrupt", "keep-alive", "end",
    "whep-post", "whep-patch", "whep-delete", "create-avatar-session",
}


@dataclass
class Fault:
    count: int
    status: int | None = None
    hang: float = 0.0
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None
    no_media: bool = False
    session: str | None = None  # only requests for this session id (a session route), else any


@dataclass
class TestControls:
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    requests: deque[dict] = field(default_factory=lambda: deque(maxlen=2000))

    def add_fault(self, route: str, fault: Fault) -> None:
        self.faults.setdefault(route, deque()).append(fault)

    def take_fault(self, route: str, session_id: str | None = None) -> Fault | None:
        """The first fault queued for ``route`` that applies to ``session_id`` (one counted down)."""
        queue = self.faults.get(route) or deque()
        fault = next((f for f in queue if f.session in (None, session_id)), None)
        if fault is not None:
            fault.count -= 1
            if fault.count <= 0:
                queue.remove(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()
        self.requests.clear()


def make_middleware(controls: TestControls, body_limit: int):
    """Log every non-test request, then apply the next fault queued for its route."""

    @web.middleware
    async def test_controls(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith("/__test__/") or request.method == "OPTIONS":
            return await handler(request)
        raw = b""
        if request.can_read_body and (request.content_length or 0) <= body_limit:
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raw = b""
        route = route_name_of(request)
        entry = {
            "t": time.time(),
            "method": request.method,
            "path": request.path,
            "route": route,
            "query": redact.body(dict(request.query)),
            "headers": redact.headers(request.headers),
            "body": redact.body(describe(request, raw)),
            "status": None,  # the answer's status, once there is one (none for a dropped connection)
        }
        controls.requests.append(entry)
        response = await _answer(controls, route, request, handler)
        entry["status"] = response.status
        return response

    return test_controls


async def _answer(controls: TestControls, route: str | None, request: web.Request, handler) -> web.StreamResponse:
    """The handler's answer, or the one the next fault queued for ``route`` makes instead."""
    fault = controls.take_fault(route, request.match_info.get("sid")) if route else None
    if fault is None:
        return await handler(request)
    if fault.hang:
        await asyncio.sleep(fault.hang)
    if fault.drop:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError()  # nothing is written to a dropped connection
    if fault.no_media:
        request[NO_MEDIA] = True
    if fault.status is None:
        return await handler(request)
    body = fault.body if fault.body is not None else {"success": False, "error": "Injected fault"}
    return web.json_response(body, status=fault.status, headers=fault.headers)
