"""The Control API (/v1/avatar-session) and the catalog (/v1/catalog-item/list)."""
from __future__ import annotations

import asyncio
import logging
import secrets

from aiohttp import web

from . import tts
from .audio import AudioTooLong, UndecodableAudio, decode_to_pcm
from .auth import bearer_session_id, check_ks, issue_token
from .bodies import json_body, parse_multipart, read_limited
from .catalog import AVATARS, VOICES, catalog_objects
from .context import Emulator, emulator
from .errors import ApiError, ok
from .routing import add_route
from .sessions import Session

log = logging.getLogger("kaltura_avatar_emulator")

BASE = "/v1/avatar-session"
MULTIPART_OVERHEAD = 64 * 1024


def create_session(emu: Emulator, avatar_id: object, voice_id: object = None, speed: object = 1.0) -> dict:
    """Validate the ids, respect the cap, and return {sessionId, token}."""
    if not isinstance(avatar_id, str) or not avatar_id:
        raise ApiError(400, "visualConfig.id is required")
    avatar = AVATARS.get(avatar_id)
    if avatar is None:
        raise ApiError(400, f"Unknown avatar id: {avatar_id}")
    voice = VOICES.get(voice_id if voice_id is not None else avatar.default_voice)  # type: ignore[arg-type]
    if voice is None:
        raise ApiError(400, f"Unknown voice id: {voice_id}")
    if speed is None:
        speed = 1.0
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
        raise ApiError(400, "voiceConfig.speed must be a number between 0.25 and 4")
    session = emu.sessions.create(avatar, voice, float(speed))
    token = issue_token(emu.settings.secret, session.id, emu.settings.token_ttl)
    log.info("session %s created (avatar %s, voice %s, speed %.2f)", session.id, avatar.id, voice.id, speed)
    return {"sessionId": session.id, "token": token}


async def create(request: web.Request) -> web.Response:
    emu = emulator(request)
    check_ks(request.headers.get("Authorization"), emu.settings.accepted_ks, emu.settings.forbidden_ks)
    body = await json_body(request)
    visual = body.get("visualConfig")
    if not isinstance(visual, dict):
        raise ApiError(400, "visualConfig is required")
    voice = body.get("voiceConfig") or {}
    if not isinstance(voice, dict):
        raise ApiError(400, "voiceConfig must be an object")
    return ok(**create_session(emu, visual.get("id") or visual.get("avatarId"), voice.get("id"), voice.get("speed", 1.0)))


def session_for(request: web.Request) -> Session:
    """The active session named in the path, if the bearer token is bound to it (401/404/410).

    An unknown session is 404 whatever the token: after a restart the server knows neither the
    session nor the key its token was signed with, and the client must hear that it is gone."""
    emu = emulator(request)
    sid = request.match_info["sid"]
    session = emu.sessions.get(sid)
    if session is None:
        raise ApiError(404, "Session not found")
    token_sid = bearer_session_id(request.headers.get("Authorization"), emu.settings.secret)
    if token_sid != sid:
        raise ApiError(401, "Invalid or expired token")
    if not session.active:
        raise ApiError(410, "Session ended")
    return session


async def init_client(request: web.Request) -> web.Response:
    session = session_for(request)
    await json_body(request)
    s = emulator(request).settings
    origin = (s.public_url or f"{request.scheme}://{request.host}").rstrip("/")
    return ok(
        whepUrl=f"{origin}/rtc/v1/whep/?app=app&stream={session.id}",
        turn={"url": s.turn_host, "username": s.turn_username, "credential": s.turn_credential},
    )


def check_backlog(session: Session, max_seconds: float) -> None:
    """429 with Retry-After while the session has as much speech waiting as it may."""
    wait = session.speaker.wait_before_more(max_seconds)
    if wait is not None:
        raise ApiError(429, f"Too much speech is waiting to play: retry in {wait} s, or interrupt",
                       {"Retry-After": str(wait)})


async def say_text(request: web.Request) -> web.Response:
    session = session_for(request)
    s = emulator(request).settings
    body = await json_body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Text is required")
    if len(text) > s.max_text_chars:
        raise ApiError(400, f"Text is too long (max {s.max_text_chars} characters)")
    is_final = body.get("isFinal")
    if is_final is None:
        is_final = True  # absent: a one-chunk turn
    elif not isinstance(is_final, bool):
        raise ApiError(400, "isFinal must be a boolean")
    turn_id = str(body.get("turnId") or secrets.token_hex(6))
    turn = session.speaker.open_turn(turn_id)
    if (turn.chars if turn else 0) + len(text) > s.max_turn_chars:
        raise ApiError(400, f"This turn's text is too long (max {s.max_turn_chars} characters in all): start a new turn")
    check_backlog(session, s.max_queue_seconds)
    segment, task = session.speaker.fill_later(turn_id, tts.synthesize(text, session.voice, session.speed),
                                                  is_final, text)
    await asyncio.wait({task})
    if segment.error is not None:
        log.error("TTS failed: %s", segment.error)
        raise ApiError(503, "Text-to-speech unavailable")
    return ok()  # also when interrupted meanwhile: the speech was dropped, the request was fine


async def say_audio(request: web.Request) -> web.Response:
    session = session_for(request)
    s = emulator(request).settings
    limit = s.max_audio_bytes
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "Content-Type must be multipart/form-data")
    raw = await read_limited(request, limit + MULTIPART_OVERHEAD)
    parts = parse_multipart(request.headers.get("Content-Type", ""), raw)
    audio = parts.get("audio")
    if audio is None or not audio.data:
        raise ApiError(400, "Audio is required")
    if len(audio.data) > limit:
        raise ApiError(413, f"Audio too large (max {limit // (1024 * 1024)} MB)")
    turn = parts.get("turnId")
    turn_id = turn.data.decode(errors="replace") if turn and turn.data else secrets.token_hex(6)
    check_backlog(session, s.max_queue_seconds)
    # a clip is a whole turn (final): say-audio has no isFinal
    segment, task = session.speaker.fill_later(turn_id, asyncio.to_thread(decode_to_pcm, audio.data, s.max_audio_seconds))
    await asyncio.wait({task})
    if isinstance(segment.error, AudioTooLong):
        raise ApiError(400, f"Audio is too long ({segment.error.seconds:.0f} s; max {s.max_audio_seconds:g} s): "
                       "send it as shorter clips")
    if isinstance(segment.error, UndecodableAudio):
        raise ApiError(400, "Could not decode audio")
    if segment.error is not None:
        raise segment.error
    return ok()


async def interrupt(request: web.Request) -> web.Response:
    session_for(request).speaker.interrupt()
    return ok()


async def keep_alive(request: web.Request) -> web.Response:
    session_for(request).touch()
    return ok()


async def end(request: web.Request) -> web.Response:
    session = session_for(request)
    await emulator(request).sessions.end(session, "ended")
    return ok()


async def catalog_list(request: web.Request) -> web.Response:
    emu = emulator(request)
    check_ks(request.headers.get("Authorization"), emu.settings.accepted_ks, emu.settings.forbidden_ks)
    body = await json_body(request)
    flt = body.get("filter") or {}
    pager = body.get("pager") or {}
    if not isinstance(flt, dict) or not isinstance(pager, dict):
        raise ApiError(400, "filter and pager must be objects")
    type_equal = flt.get("typeEqual")
    if type_equal not in (None, "Visual", "Voice"):
        raise ApiError(400, "filter.typeEqual must be Visual or Voice")
    try:
        offset = max(0, int(pager.get("offset", 0)))
        limit = max(0, min(500, int(pager.get("limit", 100))))
    except (TypeError, ValueError):
        raise ApiError(400, "pager.offset and pager.limit must be integers") from None
    objects = catalog_objects(type_equal)
    return web.json_response({"objects": objects[offset : offset + limit], "totalCount": len(objects)})


def add_control_routes(app: web.Application) -> None:
    for path in (BASE, BASE + "/", BASE + "/create"):  # the docs show the bare base too
        add_route(app, "POST", path, create, name="create")
    for name, handler in (
        ("init-client", init_client), ("say-text", say_text), ("say-audio", say_audio),
        ("interrupt", interrupt), ("keep-alive", keep_alive), ("end", end),
    ):
        add_route(app, "POST", BASE + "/{sid}/" + name, handler, name=name)
    add_route(app, "POST", "/v1/catalog-item/list", catalog_list)
