"""The aiohttp application: routes, CORS, per-request logging, lifecycle."""
from __future__ import annotations

import logging
import time

from aiohttp import web

from . import redact
from .config import Settings
from .static import add_static_routes

log = logging.getLogger("kaltura_avatar_emulator")

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, Accept",
    "Access-Control-Expose-Headers": "Location, ETag, Retry-After",
    "Access-Control-Max-Age": "600",
}


@web.middleware
async def access_log(request: web.Request, handler) -> web.StreamResponse:
    """One line per request on stderr, query secrets redacted."""
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        qs = redact.query(request.query_string)
        log.info(
            "%s %s%s %d %.1fms",
            request.method,
            request.path,
            f"?{qs}" if qs else "",
            status,
            (time.perf_counter() - start) * 1000,
        )


@web.middleware
async def cors(request: web.Request, handler) -> web.StreamResponse:
    """CORS on every route; preflights answered here."""
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=CORS_HEADERS)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(CORS_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(CORS_HEADERS)
    return response


def build_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[access_log, cors], client_max_size=settings.max_audio_bytes + 1024 * 1024)
    app[SETTINGS] = settings
    add_static_routes(app, settings.root, settings.mounts)
    return app
