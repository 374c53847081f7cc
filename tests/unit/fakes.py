"""Fakes behind the SDK's ports: an HTTP backend, peer connections, the view, the page."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kaltura_avatar.errors import AvatarError, AvatarErrorCode
from kaltura_avatar.ports import HttpResponse, MediaStats, PeerCallbacks, Platform, TransportError

BASE = "http://api.test/v1/avatar-session"
WHEP_URL = "http://media.test/rtc/v1/whep/?app=app&stream=sess-1"
KS = "ks-SECRET-1234567890"
TOKEN = "tok-SECRET-abcdefghij"

OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:uf01\r\na=ice-pwd:pw0123456789\r\n"
    "a=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=ice-ufrag:uf01\r\n"
    "a=ice-pwd:pw0123456789\r\na=recvonly\r\n"
)
ANSWER = "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | str | None
    timeout: float | None = None
    keepalive: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def route(self) -> str:
        """``create``, ``say-text``... for Control API calls; ``whep-post`` etc. for WHEP."""
        if "/rtc/" in self.url or "whep" in self.url:
            return f"whep-{self.method.lower()}"
        return self.path.rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body)


Reply = HttpResponse | Exception | Callable[["Request"], Any]


def ok(**data: Any) -> HttpResponse:
    return HttpResponse(200, {"content-type": "application/json"}, json.dumps({"success": True, **data}))


def status(code: int, error: str = "nope", **headers: str) -> HttpResponse:
    return HttpResponse(code, {k.lower().replace("_", "-"): v for k, v in headers.items()},
                        json.dumps({"success": False, "error": error}))


class FakeHttp:
    """A scripted backend: per-route queues of replies in front of a working default."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.queued: dict[str, list[Reply]] = {}
        self.session_id = "sess-1"
        self.whep_location = "/rtc/v1/whip/?action=delete&stream=sess-1"

    def queue(self, route: str, *replies: Reply) -> None:
        self.queued.setdefault(route, []).extend(replies)

    def routes(self) -> list[str]:
        return [r.route for r in self.requests]

    def of(self, route: str) -> list[Request]:
        return [r for r in self.requests if r.route == route]

    async def request(self, method, url, *, headers, body, timeout, keepalive=False) -> HttpResponse:
        req = Request(method, url, dict(headers), body, timeout, keepalive)
        self.requests.append(req)
        await asyncio.sleep(0)
        queue = self.queued.get(req.route)
        reply: Reply = queue.pop(0) if queue else self.default
        while callable(reply) and not isinstance(reply, HttpResponse):
            reply = reply(req)
            if asyncio.iscoroutine(reply):
                reply = await reply
        if reply is None:  # hang() without an answer of its own: the backend's
            reply = self.default(req)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def send_and_forget(self, method, url, *, headers, body) -> None:
        self.requests.append(Request(method, url, dict(headers), body, None, True))

    def default(self, req: Request) -> HttpResponse:
        route = req.route
        if route == "create":
            return ok(sessionId=self.session_id, token=TOKEN)
        if route == "init-client":
            return ok(whepUrl=WHEP_URL, turn={"url": "turn.test", "username": "u", "credential": "c"})
        if route == "whep-post":
            return HttpResponse(201, {"location": self.whep_location, "etag": '"e1"'}, ANSWER)
        if route == "whep-patch":
            return HttpResponse(204)
        if route == "whep-delete":
            return HttpResponse(200)
        return ok()


def hang(seconds: float = 3600, then: HttpResponse | None = None) -> Callable[[Request], Any]:
    """A reply that comes after ``seconds`` (``then``, else what the backend would answer)."""

    async def reply(req: Request) -> HttpResponse:
        await asyncio.sleep(seconds)
        return then

    return reply


def transport_error(timeout: bool = False) -> TransportError:
    return TransportError("connection refused" if not timeout else "timed out", timeout=timeout)


class FakePeer:
    """Connects when the answer is set: state ``connected``, a stream, frames that keep coming."""

    def __init__(self, factory: FakePeerFactory, callbacks: PeerCallbacks):
        self.factory = factory
        self.ice_servers = self.policy = None  # set by start()
        self.offered = False
        self.callbacks = callbacks
        self.closed = False
        self.frames = 0
        self.flowing = False
        self.stream = object()
        self.lag = factory.stats_lag

    async def create_offer(self) -> None:
        self.offered = True

    async def start(self, *, ice_servers, ice_transport_policy) -> str:
        assert self.offered, "start() before create_offer()"
        self.ice_servers, self.policy = ice_servers, ice_transport_policy
        return OFFER

    async def set_answer(self, sdp: str) -> None:
        self.answer = sdp
        if self.factory.connects:
            asyncio.get_running_loop().call_soon(self._connect)

    def _connect(self) -> None:
        if self.closed:
            return
        for c in self.factory.candidates:
            self.callbacks.on_candidate(c, "0", 0)
        self.callbacks.on_candidate(None, None, None)
        self.callbacks.on_state("connected")
        self.callbacks.on_stream(self.stream)
        if self.factory.frame_shown:
            self.callbacks.on_frame()
        self.flowing = True

    async def stats(self) -> MediaStats:
        if self.flowing and self.lag:  # getStats is cached: no inbound-rtp entry yet
            self.lag -= 1
            return MediaStats(None, self.factory.level())
        if self.flowing:
            self.frames += 1
        return MediaStats(self.frames, self.factory.level(), **self.factory.more_stats(self))

    def set_state(self, state: str) -> None:
        self.callbacks.on_state(state)

    def close(self) -> None:
        self.closed = True
        self.flowing = False


class FakePeerFactory:
    def __init__(self) -> None:
        self.peers: list[FakePeer] = []
        self.connects = True
        self.frame_shown = False  # True: the peer says when the first frame is shown (on_frame)
        self.stats_lag = 0  # how many stats polls of a new peer show no video entry
        self.candidates = ["candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host"]
        self.level: Callable[[], float] = lambda: 0.0
        self.more_stats: Callable[[FakePeer], dict] = lambda peer: {}  # other MediaStats fields

    def __call__(self, *, callbacks) -> FakePeer:
        peer = FakePeer(self, callbacks)
        self.peers.append(peer)
        return peer

    @property
    def last(self) -> FakePeer:
        return self.peers[-1]


class FakeView:
    def __init__(self, page: FakePage) -> None:
        self.page = page
        self.container: str | None = None
        self.stream: Any = None
        self.plays = 0
        self.muted = page.autoplay_muted  # the browser refuses autoplay with sound
        self.detached = False
        self.cues: list[list] = []  # [cue id, text, open] in the order made
        page.views.append(self)

    def attach(self, container_id: str) -> None:
        if container_id not in self.page.containers:
            raise AvatarError(AvatarErrorCode.INVALID_CONFIGURATION, f"No element #{container_id}")
        self.container = container_id

    def show(self, stream: Any) -> None:
        self.stream = stream

    async def play(self) -> bool:
        self.plays += 1
        return not self.muted

    @property
    def audible(self) -> bool:
        return self.container is not None and self.stream is not None and not self.muted

    def caption(self, cue_id: str, text: str) -> None:
        if self.cues and self.cues[-1][0] == cue_id:
            self.cues[-1][1:] = [text, True]
        else:
            self.end_caption()
            self.cues.append([cue_id, text, True])

    def end_caption(self) -> None:
        if self.cues:
            self.cues[-1][2] = False

    def detach(self) -> None:
        self.detached = True
        self.container = self.stream = None


class FakeMeter:
    def __init__(self, page: FakePage, stream: Any) -> None:
        self.page, self.stream, self.closed = page, stream, False
        page.meters.append(self)

    def level(self) -> float:
        return self.page.meter_level()

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeBlob:
    data: bytes


@dataclass
class FakePage:
    containers: set[str] = field(default_factory=lambda: {"avatar-container", "other"})
    views: list[FakeView] = field(default_factory=list)
    meters: list[FakeMeter] = field(default_factory=list)
    pagehide: list[Callable[[], None]] = field(default_factory=list)
    meter_level: Callable[[], float] = lambda: 0.0
    visible: bool = True
    autoplay_muted: bool = False

    def on_pagehide(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.pagehide.append(callback)
        return lambda: self.pagehide.remove(callback)

    def hide(self) -> None:
        for callback in list(self.pagehide):
            callback()

    async def read_blob(self, blob: Any) -> bytes:
        if isinstance(blob, FakeBlob):
            return blob.data
        raise AvatarError(AvatarErrorCode.INVALID_CONFIGURATION, "audio must be bytes, a File or a Blob")


@dataclass
class World:
    http: FakeHttp
    peers: FakePeerFactory
    page: FakePage
    platform: Platform


def make_world() -> World:
    http, peers, page = FakeHttp(), FakePeerFactory(), FakePage()
    platform = Platform(
        http=http,
        create_peer=peers,
        create_view=lambda: FakeView(page),
        create_meter=lambda stream: FakeMeter(page, stream),
        on_pagehide=page.on_pagehide,
        read_blob=page.read_blob,
        page_visible=lambda: page.visible,
    )
    return World(http, peers, page, platform)


FAST = {
    "baseUrl": BASE,
    "logLevel": "debug",
    "retryConfig": {"maxAttempts": 3, "initialDelayMs": 1, "maxDelayMs": 4, "backoffMultiplier": 2},
    "connectTimeoutS": 1.0,
    "requestTimeoutS": 1.0,
    "keepAliveIntervalS": 0.05,
    "statsIntervalS": 0.01,
    "mediaTimeoutS": 0.2,
}


def mp3_frame(version: int = 0b11, rate_index: int = 0, layer: int = 0b01) -> bytes:
    """One whole MPEG audio frame: a header (bitrate index 9) and zero bytes to its length."""
    b1 = 0xE0 | (version << 3) | (layer << 1) | 1
    b2 = (0b1001 << 4) | (rate_index << 2)
    rate = {0b11: (44100, 48000, 32000), 0b10: (22050, 24000, 16000), 0b00: (11025, 12000, 8000)}[version][rate_index]
    length = 144 * 128_000 // rate if version == 0b11 else 72 * 80_000 // rate
    return bytes([0xFF, b1, b2, 0xC4]) + b"\x00" * (length - 4)


def id3_tag(payload: bytes = b"TIT2\x00\x00\x00\x05\x00\x00\x03abcd") -> bytes:
    n = len(payload)
    size = bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])
    return b"ID3\x04\x00\x00" + size + payload


async def eventually(predicate: Callable[[], Any], timeout: float = 3.0) -> None:
    """Wait until ``predicate()`` is true (the machine may be busy: never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
