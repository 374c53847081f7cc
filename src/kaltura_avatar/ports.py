"""The small interfaces the core needs from the outside world, and the one place that picks
their implementation (``choose_platform``).

``browser/`` implements them with browser APIs; unit tests implement them with fakes; a CPython
platform (aiohttp + aiortc, started in ``cpython/``) would be added in ``choose_platform``.
Everything else in the package is plain Python that runs the same on CPython and Pyodide.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import AvatarError, AvatarErrorCode


class TransportError(Exception):
    """The request got no HTTP response: network failure, abort or timeout."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


@dataclass
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: str = ""
    url: str | None = None  # where the answer came from, after redirects (None: the URL asked)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class HttpClient(Protocol):
    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | str | None,
        timeout: float,
        keepalive: bool = False,
    ) -> HttpResponse:
        """Send one request (redirects followed); raise ``TransportError`` when no response came."""

    def send_and_forget(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | str | None
    ) -> None:
        """Start a request that outlives the page (``fetch`` with ``keepalive``), synchronously."""


@dataclass
class MediaStats:
    """One ``getStats()`` reading, as the browser reports it (None: not reported)."""

    frames_decoded: int | None = None  # inbound-rtp video
    audio_level: float | None = None  # inbound-rtp audio, 0..1 (only while rendered unmuted)
    timestamp_ms: float | None = None  # when the inbound-rtp counters were read
    frames_per_second: float | None = None
    frames_dropped: int | None = None
    video_bytes: int | None = None  # inbound-rtp bytesReceived
    audio_bytes: int | None = None
    packets_lost: int | None = None  # video and audio
    jitter_s: float | None = None  # the larger of video's and audio's
    round_trip_time_s: float | None = None  # the selected candidate pair's currentRoundTripTime
    candidate_type: str | None = None  # its local candidate's type: host, srflx, prflx, relay


class PeerConnection(Protocol):
    """Made before the ICE servers are known (they come with the media's location), so the offer
    is ready by then: ``create_offer`` makes it, ``start`` applies it with the servers."""

    async def create_offer(self) -> None:
        """``createOffer``: the offer is kept, not applied (nothing is gathered yet)."""

    async def start(self, *, ice_servers: list[dict[str, Any]], ice_transport_policy: str) -> str:
        """``setConfiguration`` with the ICE servers and policy, then ``setLocalDescription`` with
        the offer (gathering begins); return the offer SDP (no gathering wait)."""

    async def set_answer(self, sdp: str) -> None: ...

    async def stats(self) -> MediaStats: ...

    def close(self) -> None:
        """Close at once; no callback fires after this."""


@dataclass
class PeerCallbacks:
    # (candidate line without "a=", sdpMid, sdpMLineIndex); (None, None, None) at the end of gathering
    on_candidate: Callable[[str | None, str | None, int | None], None]
    # RTCPeerConnection.connectionState: new, connecting, connected, disconnected, failed, closed
    on_state: Callable[[str], None]
    # the remote MediaStream (opaque) once a track arrived
    on_stream: Callable[[Any], None]
    # the first video frame was presented (may never be said: stats count decoded frames too)
    on_frame: Callable[[], None] = lambda: None


class PeerConnectionFactory(Protocol):
    def __call__(self, *, callbacks: PeerCallbacks) -> PeerConnection:
        """A recvonly (video + audio, max-bundle) peer connection, no ICE servers yet."""


class MediaView(Protocol):
    """The avatar's ``<video>`` element."""

    def attach(self, container_id: str) -> None:
        """Put the one element in the container (create it, or move it); raise
        ``AvatarError(INVALID_CONFIGURATION)`` when there is no such container."""

    def show(self, stream: Any) -> None:
        """Play ``stream`` (now, or as soon as the element is attached)."""

    async def play(self) -> bool:
        """Start playback with sound; if autoplay with sound is refused, play muted and unmute
        at the next user gesture. Returns False when it had to start muted."""

    @property
    def muted(self) -> bool:
        """True while the video plays muted because autoplay with sound was refused."""

    @property
    def audible(self) -> bool:
        """True while the stream is rendered unmuted (so inbound-rtp ``audioLevel`` is live)."""

    def caption(self, cue_id: str, text: str) -> None:
        """Show ``text`` from now on as the cue ``cue_id`` of the element's captions track (made on
        first use): the last cue when it has that id (its text replaced), else a new one."""

    def end_caption(self) -> None:
        """End the last cue now (no-op when it has ended)."""

    def detach(self) -> None:
        """Remove the element and release everything it holds."""


class AudioMeter(Protocol):
    """Level of a stream's audio measured without the element (WebAudio analyser)."""

    def level(self) -> float: ...

    def close(self) -> None: ...


@dataclass
class Platform:
    """Everything the session needs from its host, injected as one object."""

    http: HttpClient
    create_peer: PeerConnectionFactory
    create_view: Callable[[], MediaView]
    create_meter: Callable[[Any], AudioMeter]
    # page lifecycle: register a synchronous pagehide callback; returns the unsubscribe function
    on_pagehide: Callable[[Callable[[], None]], Callable[[], None]]
    # bytes of a JS Blob/File; raise AvatarError(INVALID_CONFIGURATION) for anything else
    read_blob: Callable[[Any], Awaitable[bytes]]
    # False while the tab is hidden (video decoding may pause then: not a lost stream)
    page_visible: Callable[[], bool] = lambda: True
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


def choose_platform(platform: Platform | None = None) -> Platform:
    """``platform`` if given, else the browser's when running in Pyodide. The only place that
    picks an adapter: the core never imports one."""
    if platform is not None:
        return platform
    if sys.platform == "emscripten":
        from .browser import browser_platform

        return browser_platform()
    raise AvatarError(
        AvatarErrorCode.INVALID_CONFIGURATION,
        "kaltura_avatar runs in a browser page (Pyodide); elsewhere pass platform=",
    )
