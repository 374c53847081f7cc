"""A CPython WHEP viewer (aiortc) that records what it receives: frames, looks, audio RMS over time.

Used by the emulator's tests and benchmarks; `connect(http, whep_url)` returns a recording `Viewer`.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .aiortc_patches import use_loopback_candidates


# where the emulator draws the mouth and the eyes on its 512x512 face
MOUTH = (slice(300, 340), slice(226, 286))
EYES = (slice(205, 225), slice(190, 322))


@dataclass
class Viewer:
    pc: RTCPeerConnection
    location: str
    etag: str | None
    frames: list[tuple[float, int, int]] = field(default_factory=list)  # (t, width, height)
    looks: list[tuple[float, float, float]] = field(default_factory=list)  # (t, mouth mean luma, eyes luma contrast)
    audio: list[tuple[float, float]] = field(default_factory=list)  # (t, rms 0..1) per decoded frame
    tasks: list[asyncio.Task] = field(default_factory=list)
    posted_in: float = 0.0  # seconds from sending the WHEP POST to its 201

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
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.wait_for(self.pc.close(), 5)


async def _pump_video(track, viewer: Viewer) -> None:
    while True:
        frame = await track.recv()
        now = time.time()
        viewer.frames.append((now, frame.width, frame.height))
        luma = frame.to_ndarray(format="yuv420p")[: frame.height]
        viewer.looks.append((now, float(luma[MOUTH].mean()), float(luma[EYES].std())))


async def _pump_audio(track, viewer: Viewer) -> None:
    while True:
        frame = await track.recv()
        pcm = frame.to_ndarray().astype(np.float32) / 32768.0
        viewer.audio.append((time.time(), float(np.sqrt(np.mean(pcm ** 2)))))


async def connect(http: aiohttp.ClientSession, whep_url: str, audio: bool = True, extra_sdp: str = "",
                  trickle: bool = False) -> Viewer:
    """Offer recvonly video (+ audio), POST it, apply the answer, start recording.

    `extra_sdp` lines go into the first (bundle-owning) media section, e.g. a `.local` candidate.
    `trickle`: like a browser, offer without candidates or end-of-candidates and PATCH them afterwards.
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
    candidates = [ln for ln in offer.split("\r\n") if ln.startswith("a=candidate:")]
    if trickle:
        offer = "".join(ln + "\r\n" for ln in offer.split("\r\n")[:-1]
                        if not ln.startswith(("a=candidate:", "a=end-of-candidates")))
    second = offer.find("\r\nm=", offer.find("\r\nm=") + 1)
    offer = offer + extra_sdp if second < 0 else offer[: second + 2] + extra_sdp + offer[second + 2 :]
    t = time.perf_counter()
    async with http.post(whep_url, data=offer, headers={"Content-Type": "application/sdp"}) as r:
        body = await r.text()
        if r.status != 201:
            await pc.close()
            raise AssertionError(f"WHEP POST {r.status}: {body}")
        location, etag = r.headers["Location"], r.headers.get("ETag")
        posted_in = time.perf_counter() - t
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    viewer = Viewer(pc, location, etag, posted_in=posted_in)
    if trickle:
        frag = "a=mid:0\r\n" + "".join(c + "\r\n" for c in dict.fromkeys(candidates))
        base = whep_url.split("/rtc/")[0]
        async with http.patch(base + location, data=frag, headers={
                "Content-Type": "application/trickle-ice-sdpfrag", **({"If-Match": etag} if etag else {})}) as r:
            assert r.status == 204, r.status
    for track in tracks:
        pump = _pump_video if track.kind == "video" else _pump_audio
        viewer.tasks.append(asyncio.create_task(pump(track, viewer)))
    return viewer
