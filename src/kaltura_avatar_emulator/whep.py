"""WHEP egress: POST an offer -> 201 answer + Location + ETag; trickle PATCH; DELETE."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from .bodies import read_limited
from .context import emulator
from .errors import ApiError
from .faults import NO_MEDIA
from .media import AvatarAudioTrack, AvatarVideoTrack, StalledTrack
from .render import face_frames
from .routing import add_route
from .sessions import RETRY_AFTER_S, Session, WhepEgress, close_pc

log = logging.getLogger("kaltura_avatar_emulator")

WHEP_PATH = "/rtc/v1/whep/"
RESOURCE_PATH = "/rtc/v1/whep/resource/"
SDP_LIMIT = 64 * 1024
NEGOTIATE_TIMEOUT = 10.0


def is_mdns_candidate(line: str) -> bool:
    bits = line.split()
    return len(bits) > 4 and bits[4].endswith(".local")


def strip_mdns(sdp: str) -> str:
    """Drop `.local` candidates: aiortc spends about 1 s resolving each."""
    lines = sdp.splitlines()
    kept = [ln for ln in lines if not (ln.startswith("a=candidate:") and is_mdns_candidate(ln))]
    return "\r\n".join(kept) + "\r\n"


def _find_resource(request: web.Request) -> tuple[Session, WhepEgress]:
    rid = request.match_info["rid"]
    for session in emulator(request).sessions.sessions.values():
        if session.egress is not None and session.egress.resource_id == rid:
            return session, session.egress
    raise ApiError(404, "No such WHEP resource")


async def _negotiate(session: Session, offer_sdp: str, media: bool = True) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        frames = await asyncio.to_thread(face_frames, session.avatar)
        for transceiver in pc.getTransceivers():
            if not media:
                pc.addTrack(StalledTrack(transceiver.kind))
            elif transceiver.kind == "video":
                pc.addTrack(AvatarVideoTrack(frames, session.speaker, session.count_frame))
            elif transceiver.kind == "audio":
                pc.addTrack(AvatarAudioTrack(session.speaker))
        await pc.setLocalDescription(await pc.createAnswer())
    except BaseException:
        await close_pc(pc)
        raise
    return pc


async def whep_post(request: web.Request) -> web.Response:
    emu = emulator(request)
    if request.content_type != "application/sdp":
        raise ApiError(415, "Content-Type must be application/sdp")
    session = emu.sessions.get(request.query.get("stream", ""))
    if session is None or not session.active:
        raise ApiError(404, "Stream not found")
    if session.egress is not None:
        if session.egress.healthy:
            raise ApiError(409, "Stream already has a viewer", {"Retry-After": str(RETRY_AFTER_S)})
        # never connected (a reload, a lost DELETE) or lost its connection: the new viewer wins
        await emu.sessions.drop_egress(session, "replaced")
    offer = (await read_limited(request, SDP_LIMIT)).decode(errors="replace")
    if "m=" not in offer:
        raise ApiError(400, "Body must be an SDP offer")
    try:
        media = not request.get(NO_MEDIA, False)
        pc = await asyncio.wait_for(_negotiate(session, strip_mdns(offer), media), NEGOTIATE_TIMEOUT)
    except asyncio.TimeoutError:
        raise ApiError(503, "Negotiation timed out", {"Retry-After": "1"}) from None
    except ValueError as exc:
        raise ApiError(400, f"Bad SDP offer: {exc}") from None
    if not session.active or (session.egress is not None and session.egress.healthy):  # ended or raced meanwhile
        await close_pc(pc)
        raise ApiError(404 if not session.active else 409, "Stream not available")
    if session.egress is not None:
        await emu.sessions.drop_egress(session, "replaced")
    egress = WhepEgress(pc)
    session.egress = egress

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState == "failed" and session.egress is egress:
            await emu.sessions.drop_egress(session, "failed")

    async def drop_unless_connected(timeout: float) -> None:
        """Without connectivity aioice waits forever: free the stream rather than hold it."""
        await asyncio.sleep(timeout)
        if session.egress is egress and pc.connectionState != "connected":
            await emu.sessions.drop_egress(session, f"not connected within {timeout:g} s")

    egress.watchdog = asyncio.create_task(drop_unless_connected(emu.settings.viewer_connect_timeout))

    return web.Response(
        status=201,
        body=pc.localDescription.sdp.encode(),
        headers={
            "Content-Type": "application/sdp",
            "Location": RESOURCE_PATH + egress.resource_id,
            "ETag": egress.etag,
        },
    )


async def whep_patch(request: web.Request) -> web.Response:
    _, egress = _find_resource(request)
    if request.content_type != "application/trickle-ice-sdpfrag":
        raise ApiError(415, "Content-Type must be application/trickle-ice-sdpfrag")
    if_match = request.headers.get("If-Match")
    if if_match and if_match.strip() not in ("*", egress.etag):
        raise ApiError(412, "ETag does not match")
    frag = (await read_limited(request, SDP_LIMIT)).decode(errors="replace")
    transceivers = egress.pc.getTransceivers()
    mid = transceivers[0].mid if transceivers else "0"
    for line in frag.splitlines():
        line = line.strip()
        if line.startswith("a=mid:"):
            mid = line[6:]
        elif line.startswith("a=candidate:") and not is_mdns_candidate(line):
            try:
                candidate = candidate_from_sdp(line[len("a=candidate:"):])
            except (AssertionError, ValueError, IndexError):
                raise ApiError(400, "Bad candidate line") from None
            candidate.sdpMid = mid
            await egress.pc.addIceCandidate(candidate)
    return web.Response(status=204)


async def whep_delete(request: web.Request) -> web.Response:
    session, _ = _find_resource(request)
    await emulator(request).sessions.drop_egress(session)
    return web.Response(status=200)


def add_whep_routes(app: web.Application) -> None:
    for path in (WHEP_PATH, WHEP_PATH.rstrip("/")):
        add_route(app, "POST", path, whep_post, name="whep-post")
    add_route(app, "PATCH", RESOURCE_PATH + "{rid}", whep_patch, name="whep-patch")
    add_route(app, "DELETE", RESOURCE_PATH + "{rid}", whep_delete, name="whep-delete")
