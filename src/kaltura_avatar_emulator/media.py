"""The tracks a WHEP viewer receives: the rendered face (25 fps) and the speech (Opus, 20 ms frames);
for the ``no_media`` test fault, tracks that never send a frame."""
from __future__ import annotations

import asyncio
import fractions
import random
import time
from collections.abc import Callable

import av
from aiortc import MediaStreamTrack

from .audio import RATE
from .render import MOUTH_LEVELS, FaceFrames
from .speech import FRAME_SAMPLES, Speaker

FPS = 25
VIDEO_CLOCK = 90000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK)
AUDIO_TIME_BASE = fractions.Fraction(1, RATE)
LOUD_RMS = 0.16  # RMS at which the mouth is wide open
BLINK_S = 0.15


class _Paced:
    """Wall-clock pacing shared by both tracks: sleep until the next timestamp is due."""

    _start: float | None = None
    _ts: int = 0
    late: float = 0.0  # how late the last frame was, in seconds

    async def _next_ts(self, step: int, clock: int) -> int:
        if self._start is None:
            self._start = time.monotonic()
            self._ts = 0
            return 0
        self._ts += step
        wait = self._start + self._ts / clock - time.monotonic()
        self.late = max(0.0, -wait)
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.5:  # fell far behind (stall): resync rather than burst
            self._start = time.monotonic() - self._ts / clock
        return self._ts


class AvatarVideoTrack(_Paced, MediaStreamTrack):
    kind = "video"

    def __init__(self, frames: FaceFrames, speaker: Speaker, on_frame: Callable[[float], None]):
        super().__init__()
        self._frames = frames
        self._speaker = speaker
        self._on_frame = on_frame
        self._next_blink = time.monotonic() + random.uniform(1.0, 3.0)
        # one VideoFrame per face picture, reused: the sender encodes frame N before asking for N+1
        self._cache: dict[tuple[int, bool], av.VideoFrame] = {}

    def _eyes_closed(self, now: float) -> bool:
        if now >= self._next_blink + BLINK_S:
            self._next_blink = now + random.uniform(2.5, 5.5)
        return self._next_blink <= now

    async def recv(self) -> av.VideoFrame:
        pts = await self._next_ts(VIDEO_CLOCK // FPS, VIDEO_CLOCK)
        loudness = min(1.0, self._speaker.level / LOUD_RMS) ** 0.7
        mouth = int(round(loudness * (MOUTH_LEVELS - 1)))
        key = (mouth, self._eyes_closed(time.monotonic()))
        frame = self._cache.get(key)
        if frame is None:
            frame = self._cache[key] = av.VideoFrame.from_ndarray(self._frames.pick(*key), format="yuv420p")
        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder marks forced keyframes on it
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self._on_frame(self.late)
        return frame


class AvatarAudioTrack(_Paced, MediaStreamTrack):
    kind = "audio"

    def __init__(self, speaker: Speaker):
        super().__init__()
        self._speaker = speaker

    async def recv(self) -> av.AudioFrame:
        pts = await self._next_ts(FRAME_SAMPLES, RATE)
        pcm = self._speaker.next_frame()
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        return frame


class StalledTrack(MediaStreamTrack):
    """A track that never yields a frame: the connection comes up, the media never starts
    (the ``no_media`` test fault)."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    async def recv(self) -> av.frame.Frame:
        await asyncio.Event().wait()  # until the sender is stopped
        raise AssertionError("unreachable")
