"""The aiohttp application: routes, middlewares (log, guards and CORS, test controls, JSON errors), lifecycle."""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from . import redact
from .aiortc_patches import speed_up_aiortc, use_loopback_candidates
from .backend import add_backend_routes
from .catalog import AVATARS
from .config import Settings
from .context import EMULATOR, Emulator
from .control import add_control_routes
from .errors import ApiError, error_response
from .faults import make_middleware
from .render import face_frames
from .security import cors, guard
from .sessions import SessionManager
from .static import add_static_routes
from .testctl import add_test_routes
from .turn import Coturn
from .whep import add_whep_routes

log = logging.getLogger("kaltura_avatar_emulator")

API_PREFIXES = ("/v1/", "/rtc/", "/api/", "/__test__/")
COTURN: web.AppKey[Coturn] = web.AppKey("coturn", Coturn)
WARMUP: web.AppKey[asyncio.Task] = web.AppKey("warmup", asyncio.Task)


@web.middleware
async def access_log(request: web.Request, handler) -> web.StreamResponse:
    """One line per request on stderr, query secrets redacted."""
    start = time.perf_counter()
    status = 499  # stays so when the handler is cancelled (client gone, or a dropped-connection fault)
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Exception:
        status = 500
        raise
    finally:
        qs = redact.query(request.query_string)
        log.info("%s %s%s %d %.1fms", request.method, request.path, f"?{qs}" if qs else "", status,
                 (time.perf_counter() - start) * 1000)


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """API errors as {"success": false, "error": ...}; unexpected failures as 500."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(API_PREFIXES):
            raise
        message = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}.get(exc.status, exc.reason)
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(exc.status, message, headers)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "Internal server error")


async def _startup(app: web.Application) -> None:
    emu = app[EMULATOR]
    use_loopback_candidates(emu.settings.host)
    speed_up_aiortc()
    emu.sessions.start()
    if emu.settings.turn:
        coturn = Coturn(emu.settings.turn_host, emu.settings.turn_username, emu.settings.turn_credential,
                        emu.settings.turn_port)
        await coturn.start()
        app[COTURN] = coturn
    # pre-render every avatar's frames in the background: the first WHEP answer then costs nothing
    app[WARMUP] = asyncio.create_task(asyncio.to_thread(lambda: [face_frames(a) for a in AVATARS.values()]))


async def _cleanup(app: web.Application) -> None:
    await app[EMULATOR].sessions.stop()
    if COTURN in app:
        await app[COTURN].stop()
    if WARMUP in app:
        await asyncio.gather(app[WARMUP], return_exceptions=True)


def build_app(settings: Settings) -> web.Application:
    emu = Emulator(settings, SessionManager(settings.max_sessions, settings.idle_timeout))
    middlewares = [access_log, guard, cors]
    if settings.test_controls:
        middlewares.append(make_middleware(emu.controls, settings.max_audio_bytes + 1024 * 1024))
    middlewares.append(json_errors)
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_audio_bytes + 1024 * 1024)
    app[EMULATOR] = emu
    add_static_routes(app, settings.root, settings.mounts, settings.pages)
    add_control_routes(app)
    add_whep_routes(app)
    add_backend_routes(app)
    if settings.test_controls:
        add_test_routes(app)
    app.on_startup.append(_startup)
    app.on_shutdown.append(lambda a: a[EMULATOR].sessions.end_all("shutdown"))
    app.on_cleanup.append(_cleanup)
    return app
