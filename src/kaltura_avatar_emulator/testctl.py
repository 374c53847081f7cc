"""The /__test__/ routes (registered only with --test-controls)."""
from __future__ import annotations

import time

from aiohttp import web

from .bodies import json_body
from .context import emulator
from .errors import ApiError
from .faults import ROUTES, Fault
from .sessions import Session


def _session(request: web.Request) -> Session:
    session = emulator(request).sessions.get(request.match_info["sid"])
    if session is None:
        raise ApiError(404, "Session not found")
    return session


async def add_fault(request: web.Request) -> web.Response:
    body = await json_body(request)
    route = body.get("route")
    if route not in ROUTES:
        raise ApiError(400, f"route must be one of {sorted(ROUTES)}")
    try:
        fault = Fault(
            count=int(body.get("count", 1)),
            status=int(body["status"]) if body.get("status") is not None else None,
            hang=float(body.get("hang") or 0.0),
            drop=bool(body.get("drop", False)),
            headers={str(k): str(v) for k, v in (body.get("headers") or {}).items()},
            body=body.get("body"),
            no_media=bool(body.get("no_media", False)),
            session=str(body["session"]) if body.get("session") is not None else None,
        )
    except (TypeError, ValueError, AttributeError):
        raise ApiError(400, "Invalid fault") from None
    if fault.count < 1:  # a fault that fires zero times is a mistake in the test, not a no-op
        raise ApiError(400, "count must be at least 1")
    if fault.no_media and route != "whep-post":
        raise ApiError(400, "no_media applies to whep-post only")
    if fault.status is None and not fault.hang and not fault.drop and not fault.no_media:
        fault.status = 500
    emulator(request).controls.add_fault(route, fault)
    return web.json_response({"success": True})


async def list_faults(request: web.Request) -> web.Response:
    faults = emulator(request).controls.faults
    return web.json_response({r: [vars(f) for f in q] for r, q in faults.items() if q})


async def clear_faults(request: web.Request) -> web.Response:
    emulator(request).controls.faults.clear()
    return web.json_response({"success": True})


async def expire(request: web.Request) -> web.Response:
    await emulator(request).sessions.end(_session(request), "idle-timeout")
    return web.json_response({"success": True})


async def drop_media(request: web.Request) -> web.Response:
    await emulator(request).sessions.drop_egress(_session(request))
    return web.json_response({"success": True})


async def list_sessions(request: web.Request) -> web.Response:
    return web.json_response([s.snapshot() for s in emulator(request).sessions.sessions.values()])


async def show_session(request: web.Request) -> web.Response:
    return web.json_response(_session(request).snapshot())


async def show_media(request: web.Request) -> web.Response:
    """What the session's WHEP sender has sent, per kind (aiortc's outbound-rtp counters)."""
    egress = _session(request).egress
    if egress is None:
        raise ApiError(404, "No viewer")
    sent: dict = {"t": time.time()}
    for sender in egress.pc.getSenders():
        for stat in (await sender.getStats()).values():
            if stat.type == "outbound-rtp":
                sent[stat.kind] = {"bytes_sent": stat.bytesSent, "packets_sent": stat.packetsSent}
    return web.json_response(sent)


async def list_requests(request: web.Request) -> web.Response:
    return web.json_response(list(emulator(request).controls.requests))


async def clear_requests(request: web.Request) -> web.Response:
    emulator(request).controls.requests.clear()
    return web.json_response({"success": True})


async def reset(request: web.Request) -> web.Response:
    emu = emulator(request)
    await emu.sessions.end_all("reset")
    emu.sessions.sessions.clear()
    emu.controls.clear()
    return web.json_response({"success": True})


def add_test_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/__test__/faults", add_fault)
    r.add_get("/__test__/faults", list_faults)
    r.add_delete("/__test__/faults", clear_faults)
    r.add_post("/__test__/sessions/{sid}/expire", expire)
    r.add_post("/__test__/sessions/{sid}/drop-media", drop_media)
    r.add_get("/__test__/sessions", list_sessions)
    r.add_get("/__test__/sessions/{sid}", show_session)
    r.add_get("/__test__/sessions/{sid}/media", show_media)
    r.add_get("/__test__/requests", list_requests)
    r.add_delete("/__test__/requests", clear_requests)
    r.add_post("/__test__/reset", reset)
