"""`GET|POST /api/create-avatar-session`: "your backend" creating a session with its own KS.

It answers only {sessionId, token}; the KS stays on the server. By default the session is made
in this process; with an upstream Control API URL it is made there over HTTP.
"""
from __future__ import annotations

import json

import aiohttp
from aiohttp import web

from .auth import check_ks
from .bodies import json_body
from .control import create_session
from .errors import ApiError
from .routing import add_route
from .context import emulator

UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


async def _create_upstream(url: str, ks: str, avatar_id: str, voice_id: str | None) -> dict:
    body: dict = {"clientId": "kaltura-avatar-emulator-backend", "visualConfig": {"id": avatar_id}}
    if voice_id:
        body["voiceConfig"] = {"id": voice_id}
    try:
        async with aiohttp.ClientSession(timeout=UPSTREAM_TIMEOUT) as http:
            async with http.post(url.rstrip("/") + "/create", json=body, headers={"Authorization": f"KS {ks}"}) as resp:
                text = await resp.text()
                try:
                    data = json.loads(text)
                except ValueError:
                    data = {}
                if resp.status != 200:
                    error = data.get("error") if isinstance(data, dict) else None
                    raise ApiError(resp.status, str(error or f"Upstream answered {resp.status}"), _retry_after(resp))
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(502, f"Upstream unreachable: {type(exc).__name__}") from None
    if not isinstance(data, dict) or not data.get("sessionId") or not data.get("token"):
        raise ApiError(502, "Upstream answer has no session")
    return {"sessionId": data["sessionId"], "token": data["token"]}


def _retry_after(resp: aiohttp.ClientResponse) -> dict[str, str]:
    value = resp.headers.get("Retry-After")
    return {"Retry-After": value} if value else {}


async def create_avatar_session(request: web.Request) -> web.Response:
    emu = emulator(request)
    params = dict(request.query)
    if request.method == "POST":
        params.update({k: v for k, v in (await json_body(request)).items() if isinstance(v, str)})
    avatar_id = params.get("avatarId") or emu.settings.backend_avatar_id
    voice_id = params.get("voiceId") or emu.settings.backend_voice_id
    s = emu.settings
    if s.upstream_url:
        result = await _create_upstream(s.upstream_url, s.upstream_ks, avatar_id, voice_id)
    else:  # the server's own KS is checked as the Control API would (upstream answers 401/403 itself)
        check_ks(f"KS {s.upstream_ks}", s.accepted_ks, s.forbidden_ks)
        result = create_session(emu, avatar_id, voice_id)
    return web.json_response(result)


BACKEND_PATHS = ("/api/create-avatar-session", "/api/create-avatar-session/")


def add_backend_routes(app: web.Application) -> None:
    for path in BACKEND_PATHS:
        for method in ("GET", "POST"):
            add_route(app, method, path, create_avatar_session, name="create-avatar-session")
