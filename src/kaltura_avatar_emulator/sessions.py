"""Avatar sessions: create, look up, end (by call, idle timeout or test control), and their media state."""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection

from .catalog import Avatar, Voice
from .errors import ApiError
from .speech import Speaker

log = logging.getLogger("kaltura_avatar_emulator")

CLOSE_TIMEOUT = 5.0
ENDED_KEPT = 1000  # ended sessions remembered (410) before they are forgotten (404)
RETRY_AFTER_S = 2


@dataclass
class WhepEgress:
    """The sending end of one WHEP resource: the peer connection that streams a session to its
    one viewer (the remote client), addressed by ``resource_id`` in the ``Location``."""

    pc: RTCPeerConnection
    resource_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    etag_n: int = 1
    watchdog: asyncio.Task | None = None  # drops the egress if its viewer does not connect in time

    @property
    def etag(self) -> str:
        return f'"{self.resource_id[:8]}-{self.etag_n}"'

    @property
    def alive(self) -> bool:
        return self.pc.connectionState not in ("closed", "failed")

    @property
    def healthy(self) -> bool:
        """Connected and still so: only such a viewer keeps a new WHEP POST out (409)."""
        return self.pc.connectionState == "connected" and self.pc.iceConnectionState not in (
            "disconnected", "failed", "closed")

    async def close(self, reason: str) -> None:
        if self.watchdog is not None and self.watchdog is not asyncio.current_task():
            self.watchdog.cancel()
        await close_pc(self.pc)
        log.info("viewer %s closed (%s)", self.resource_id, reason)


@dataclass
class Session:
    id: str
    avatar: Avatar
    voice: Voice
    speed: float = 1.0
    created: float = field(default_factory=time.time)
    last_keepalive: float = field(default_factory=time.monotonic)
    keepalives: list[float] = field(default_factory=list)
    ended_reason: str | None = None
    frames_sent: int = 0
    frames_late: int = 0  # sent more than one frame interval after their due time (CPU starved)
    speaker: Speaker = field(default_factory=Speaker)
    egress: WhepEgress | None = None

    @property
    def active(self) -> bool:
        return self.ended_reason is None

    def touch(self) -> None:
        self.last_keepalive = time.monotonic()
        self.keepalives.append(time.time())

    def count_frame(self, late_s: float) -> None:
        self.frames_sent += 1
        if late_s > 0.04:
            self.frames_late += 1

    def snapshot(self) -> dict:
        """The session as `GET /__test__/sessions/{id}` shows it (JSON-ready)."""
        return {
            "id": self.id,
            "state": "active" if self.active else "ended",
            "avatar_id": self.avatar.id,
            "voice_id": self.voice.id,
            "speed": self.speed,
            "viewers": int(self.egress is not None and self.egress.alive),
            "frames_sent": self.frames_sent,
            "frames_late": self.frames_late,
            "audio_queue_ms": round(self.speaker.queued_ms(), 1),
            "speaking": self.speaker.speaking,
            "speech": [r.as_dict() for r in self.speaker.records],
            "keepalives": list(self.keepalives),
            "created": self.created,
            "ended_reason": self.ended_reason,
        }


class SessionManager:
    def __init__(self, max_sessions: int, idle_timeout: float):
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self._reaper: asyncio.Task | None = None

    def active(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.active]

    def create(self, avatar: Avatar, voice: Voice, speed: float) -> Session:
        if len(self.active()) >= self.max_sessions:
            raise ApiError(429, "Too many concurrent sessions", {"Retry-After": str(RETRY_AFTER_S)})
        session = Session(id=secrets.token_hex(12), avatar=avatar, voice=voice, speed=speed)
        self.sessions[session.id] = session
        self._forget_old()
        return session

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def end(self, session: Session, reason: str) -> None:
        """Stop speech and media; the session stays known (410) until forgotten."""
        if not session.active:
            return
        session.ended_reason = reason
        session.speaker.interrupt()
        log.info("session %s ended (%s)", session.id, reason)
        await self.drop_egress(session, f"session {reason}")

    async def drop_egress(self, session: Session, reason: str = "dropped") -> None:
        egress, session.egress = session.egress, None
        if egress is not None:
            await egress.close(reason)

    async def end_all(self, reason: str) -> None:
        await asyncio.gather(*(self.end(s, reason) for s in self.active()))

    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap())

    async def stop(self) -> None:
        if self._reaper:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        await self.end_all("shutdown")

    async def _reap(self) -> None:
        """End sessions whose last keep-alive is older than the idle timeout."""
        period = max(0.05, min(1.0, self.idle_timeout / 10))
        while True:
            await asyncio.sleep(period)
            deadline = time.monotonic() - self.idle_timeout
            for session in self.active():
                if session.last_keepalive < deadline:
                    await self.end(session, "idle-timeout")

    def _forget_old(self) -> None:
        ended = [sid for sid, s in self.sessions.items() if not s.active]
        for sid in ended[: max(0, len(ended) - ENDED_KEPT)]:
            del self.sessions[sid]


async def close_pc(pc: RTCPeerConnection) -> None:
    try:
        await asyncio.wait_for(pc.close(), CLOSE_TIMEOUT)
    except Exception as exc:  # closing is best effort; never let it break a request
        log.warning("closing peer connection failed: %r", exc)
