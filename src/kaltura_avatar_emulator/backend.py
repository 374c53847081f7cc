"""`GET|POST /api/create-avatar-session`: "your backend" creating a session with its own KS.

It answers only {sessionId, token}; the KS stays on the server. By default the session is made
in this process; with an upstream Control API URL it is made there, by the SDK's own Control API
client (``kaltura_avatar.control``), whose errors become this route's: the upstream's status and
error text (401, 403, 429 with its ``Retry-After``, 5xx, after the SDK's retries), 502 when no
answer or a malformed one came, 504 when none came in time.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from kaltura_avatar import AvatarError, RetryConfig
from kaltura_avatar.control import ControlClient

from .auth import check_ks
from .bodies import json_body
from .config import Settings
from .context import emulator
from .control import create_session
from .errors import ApiError
from .routing import add_route
from .sdk_http import TracedHttp


async def _create_upstream(s: Settings, avatar_id: str, voice_id: str | None) -> dict:
    http = TracedHttp()
    try:
        client = ControlClient(s.upstream_url, http, RetryConfig(), timeout=s.upstream_timeout, sleep=asyncio.sleep)
        session_id, token = await client.create(s.upstream_ks, avatar_id, voice_id)
    except AvatarError as err:
        raise _route_error(err, http) from None
    finally:
        await http.close()
    return {"sessionId": session_id, "token": token}


def _route_error(err: AvatarError, http: TracedHttp) -> ApiError:
    """The SDK's error as this route's answer (the upstream's own error text when it gave one)."""
    details = err.details if isinstance(err.details, dict) else {}
    status = details.get("status")
    if details.get("timeout"):
        return ApiError(504, err.message)
    if status is None or details.get("malformed"):
        return ApiError(502, err.message)
    retry_after = http.answers[-1][1].header("Retry-After") if http.answers else None
    return ApiError(status, details.get("error") or err.message, {"Retry-After": retry_after} if retry_after else {})


async def create_avatar_session(request: web.Request) -> web.Response:
    emu = emulator(request)
    params = dict(request.query)
    if request.method == "POST":
        params.update({k: v for k, v in (await json_body(request)).items() if isinstance(v, str)})
    avatar_id = params.get("avatarId") or emu.settings.backend_avatar_id
    voice_id = params.get("voiceId") or emu.settings.backend_voice_id
    s = emu.settings
    if s.upstream_url:
        result = await _create_upstream(s, avatar_id, voice_id)
    else:  # the server's own KS is checked as the Control API would (upstream answers 401/403 itself)
        check_ks(f"KS {s.upstream_ks}", s.accepted_ks, s.forbidden_ks)
        result = create_session(emu, avatar_id, voice_id)
    return web.json_response(result)


BACKEND_PATHS = ("/api/create-avatar-session", "/api/create-avatar-session/")


def add_backend_routes(app: web.Application) -> None:
    for path in BACKEND_PATHS:
        for method in ("GET", "POST"):
            add_route(app, method, path, create_avatar_session, name="create-avatar-session")
