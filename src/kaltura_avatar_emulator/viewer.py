"""A CPython WHEP viewer (aiortc) that records what it receives: frames, looks, audio RMS over time.

Used by the emulator's tests and benchmarks: ``connect(http, whep_url)`` returns a
``RecordingViewer``. It speaks WHEP through the SDK's own client (``kaltura_avatar.whep``: the
offer POST, ``Location`` resolved against the URL, the trickle fragment, the DELETE), so the
emulator is tested against the code the browser runs.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from kaltura_avatar import RetryConfig, whep

from .aiortc_patches import use_loopback_candidates
from .sdk_http import TracedHttp

# where the emulator draws the mouth and the eyes on its 512x512 face
MOUTH = (slice(300, 340), slice(226, 286))
EYES = (slice(205, 225), slice(190, 322))
WHEP_TIMEOUT_S = 10.0
ONE_ATTEMPT = RetryConfig(max_attempts=1)  # a refused POST is what a test wants to see


@dataclass
class RecordingViewer:
    pc: RTCPeerConnection
    resource: whep.WhepResource
    http: TracedHttp
    frames: list[tuple[float, int, int]] = field(default_factory=list)  # (t, width, height)
    looks: list[tuple[float, float, float]] = field(default_factory=list)  # (t, mouth mean luma, eyes luma contrast)
    audio: list[tuple[float, float]] = field(default_factory=list)  # (t, rms 0..1) per decoded frame
    tasks: list[asyncio.Task] = field(default_factory=list)
    posted_in: float = 0.0  # seconds from sending the WHEP POST to its 201

    @property
    def location(self) -> str | None:
        """The WHEP resource's URL (the answer's ``Location``, resolved against the WHEP URL)."""
        return self.resource.location

    @property
    def etag(self) -> str | None:
        return self.resource.etag

    @property
    def answers(self) -> list[tuple[str, int]]:
        """(method, status) of every WHEP request answered so far: POST, PATCH, DELETE."""
        return [(method, response.status) for method, response in self.http.answers]

    async def wait_frames(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.frames) < n:
            assert time.monotonic() < deadline, f"only {len(self.frames)} frames in {timeout} s"
            await asyncio.sleep(0.02)

    def rms_between(self, t0: float, t1: float) -> list[float]:
        return [r for t, r in self.audio if t0 <= t < t1]

    def first_loud_after(self, t0: float, threshold: float) -> float | None:
        return next((t for t, r in self.audio if t >= t0 and r > threshold), None)

    async def close(self) -> None:
        """The SDK's teardown: close the peer connection, then DELETE the resource (once)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.wait_for(self.pc.close(), 5)
        await self.resource.delete()


async def _pump_video(track, viewer: RecordingViewer) -> None:
    while True:
        frame = await track.recv()
        now = time.time()
        viewer.frames.append((now, frame.width, frame.height))
        luma = frame.to_ndarray(format="yuv420p")[: frame.height]
        viewer.looks.append((now, float(luma[MOUTH].mean()), float(luma[EYES].std())))


async def _pump_audio(track, viewer: RecordingViewer) -> None:
    while True:
        frame = await track.recv()
        pcm = frame.to_ndarray().astype(np.float32) / 32768.0
        viewer.audio.append((time.time(), float(np.sqrt(np.mean(pcm ** 2)))))


async def connect(http: aiohttp.ClientSession, whep_url: str, audio: bool = True, extra_sdp: str = "",
                  trickle: bool = False) -> RecordingViewer:
    """Offer recvonly video (+ audio), POST it, apply the answer, start recording.

    `extra_sdp` lines go into the first (bundle-owning) media section, e.g. a `.local` candidate.
    `trickle`: like a browser, offer without candidates or end-of-candidates and PATCH them afterwards.
    A refused POST raises the SDK's ``AvatarError(RTC_CONNECTION_FAILED)`` (``details["status"]``).
    """
    use_loopback_candidates("127.0.0.1")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    tracks: list = []
    pc.on("track", tracks.append)
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    candidates = list(dict.fromkeys(ln[2:] for ln in offer.split("\r\n") if ln.startswith("a=candidate:")))
    if trickle:
        offer = "".join(ln + "\r\n" for ln in offer.split("\r\n")[:-1]
                        if not ln.startswith(("a=candidate:", "a=end-of-candidates")))
    second = offer.find("\r\nm=", offer.find("\r\nm=") + 1)
    offer = offer + extra_sdp if second < 0 else offer[: second + 2] + extra_sdp + offer[second + 2 :]
    traced = TracedHttp(http)
    t = time.perf_counter()
    try:
        answer, resource = await whep.negotiate(traced, whep_url, offer, ONE_ATTEMPT, timeout=WHEP_TIMEOUT_S,
                                                sleep=asyncio.sleep)
    except BaseException:
        await pc.close()
        raise
    viewer = RecordingViewer(pc, resource, traced, posted_in=time.perf_counter() - t)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        if trickle:  # all gathered already (aiortc gathers in setLocalDescription): one PATCH, with the end
            await resource.patch(whep.sdp_fragment(offer, [(c, None, 0) for c in candidates], end=True))
            assert viewer.answers[-1] == ("PATCH", 204), viewer.answers
    except BaseException:
        await viewer.close()
        raise
    for track in tracks:
        pump = _pump_video if track.kind == "video" else _pump_audio
        viewer.tasks.append(asyncio.create_task(pump(track, viewer)))
    return viewer
