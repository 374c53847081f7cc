"""The browser adapter: the ONLY module that touches ``js``/``pyodide``.

It implements the ports with browser APIs: ``fetch`` (``AbortController`` timeouts, ``keepalive``),
``RTCPeerConnection``, the ``<video>`` element, a WebAudio analyser, ``pagehide`` and Blob reading.
Every ``create_proxy`` goes through a ``Proxies`` owner that destroys it at teardown;
``live_proxies()`` tells how many are alive (a test checks that sessions leave none).

Imports of ``js``/``pyodide`` are lazy so that the package imports on CPython.
"""

from __future__ import annotations

import asyncio
import logging
from array import array
from collections.abc import Callable, Mapping
from typing import Any

from .errors import AvatarError, AvatarErrorCode
from .log import logger
from .ports import HttpResponse, MediaStats, PeerCallbacks, Platform, TransportError

_live = 0


def live_proxies() -> int:
    """How many proxies made through ``Proxies`` are not destroyed yet."""
    return _live


class Proxies:
    """Owns the proxies it creates; ``destroy_all()`` releases them (idempotent)."""

    def __init__(self, create_proxy: Callable[[Callable], Any] | None = None) -> None:
        self._create_proxy = create_proxy
        self._owned: list[Any] = []

    def create(self, fn: Callable) -> Any:
        global _live
        if self._create_proxy is None:
            from pyodide.ffi import create_proxy

            self._create_proxy = create_proxy
        proxy = self._create_proxy(fn)
        self._owned.append(proxy)
        _live += 1
        return proxy

    def destroy_all(self) -> None:
        global _live
        owned, self._owned = self._owned, []
        for proxy in owned:
            _live -= 1
            try:
                proxy.destroy()
            except Exception as exc:  # already destroyed elsewhere: nothing left to free
                logger.debug("proxy destroy: %r", exc)

    def __len__(self) -> int:
        return len(self._owned)


def _obj(value: Mapping[str, Any]) -> Any:
    """A plain JS object (not a Map) from a dict, nested dicts and lists included."""
    import js
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=js.Object.fromEntries)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _error_name(exc: BaseException) -> str:
    return str(getattr(exc, "name", "") or type(exc).__name__)


# --- HTTP -----------------------------------------------------------------------------
class FetchHttp:
    """``HttpClient`` over ``fetch``: a timeout aborts the request; so does cancellation."""

    @staticmethod
    def _init(method: str, headers: Mapping[str, str], body: bytes | str | None, keepalive: bool, signal: Any = None) -> Any:
        from pyodide.ffi import to_js

        init: dict[str, Any] = {
            "method": method,
            "headers": dict(headers),
            "credentials": "omit",
            "cache": "no-store",
            "redirect": "follow",
            "keepalive": keepalive,
        }
        if body is not None:
            init["body"] = to_js(body) if isinstance(body, (bytes, bytearray)) else body
        if signal is not None:
            init["signal"] = signal
        return _obj(init)

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
        import js
        from pyodide.ffi import JsException

        controller = js.AbortController.new()
        try:
            async with asyncio.timeout(timeout):
                response = await js.fetch(url, self._init(method, headers, body, keepalive, controller.signal))
                text = await response.text()
        except TimeoutError:
            controller.abort()
            raise TransportError(f"{method} timed out after {timeout:g} s", timeout=True) from None
        except asyncio.CancelledError:
            controller.abort()
            raise
        except JsException as exc:
            raise TransportError(f"{method} failed: {_error_name(exc)}") from None
        names = {str(k).lower(): str(v) for k, v in response.headers.entries()}
        return HttpResponse(int(response.status), names, str(text), str(response.url) or None)

    def send_and_forget(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | str | None
    ) -> None:
        import js

        promise = js.fetch(url, self._init(method, headers, body, True))
        promise.catch(lambda _error: None)  # best effort: never an unhandled rejection


# --- WebRTC ---------------------------------------------------------------------------
class BrowserPeerConnection:
    """A recvonly (video + audio) ``RTCPeerConnection`` with max-bundle."""

    def __init__(
        self, *, ice_servers: list[dict[str, Any]], ice_transport_policy: str, callbacks: PeerCallbacks
    ) -> None:
        import js

        self._callbacks = callbacks
        self._proxies = Proxies()
        self._stream: Any = None
        self._pc = js.RTCPeerConnection.new(
            _obj({"iceServers": ice_servers, "iceTransportPolicy": ice_transport_policy, "bundlePolicy": "max-bundle"})
        )
        for kind in ("video", "audio"):
            self._pc.addTransceiver(kind, _obj({"direction": "recvonly"}))
        self._pc.onicecandidate = self._proxies.create(self._on_candidate)
        self._pc.onconnectionstatechange = self._proxies.create(self._on_state)
        self._pc.ontrack = self._proxies.create(self._on_track)

    async def create_offer(self) -> str:
        offer = await self._pc.createOffer()
        await self._pc.setLocalDescription(offer)
        return str(self._pc.localDescription.sdp)

    async def set_answer(self, sdp: str) -> None:
        await self._pc.setRemoteDescription(_obj({"type": "answer", "sdp": sdp}))

    async def stats(self) -> MediaStats:
        report = await self._pc.getStats()
        stats = MediaStats()
        for stat in report.values():
            if stat.type != "inbound-rtp":
                continue
            kind = getattr(stat, "kind", None)
            if kind == "video":
                frames = _number(getattr(stat, "framesDecoded", None))
                stats.frames_decoded = None if frames is None else int(frames)
            elif kind == "audio":
                stats.audio_level = _number(getattr(stat, "audioLevel", None))
        return stats

    def _on_candidate(self, event: Any) -> None:
        candidate = event.candidate
        if not candidate or not candidate.candidate:
            self._callbacks.on_candidate(None, None, None)
            return
        mid = candidate.sdpMid or None
        index = _number(candidate.sdpMLineIndex)
        self._callbacks.on_candidate(str(candidate.candidate), mid, None if index is None else int(index))

    def _on_state(self, _event: Any) -> None:
        self._callbacks.on_state(str(self._pc.connectionState))

    def _on_track(self, event: Any) -> None:
        import js

        streams = event.streams
        if streams.length:
            stream = streams[0]
        else:
            if self._stream is None:
                self._stream = js.MediaStream.new()
            self._stream.addTrack(event.track)
            stream = self._stream
        self._callbacks.on_stream(stream)

    def close(self) -> None:
        from pyodide.ffi import jsnull

        for handler in ("onicecandidate", "onconnectionstatechange", "ontrack"):
            setattr(self._pc, handler, jsnull)
        self._pc.close()
        self._proxies.destroy_all()


# --- the <video> element --------------------------------------------------------------
VIDEO_STYLE = {"width": "100%", "height": "100%", "objectFit": "cover", "display": "block"}
GESTURES = ("pointerdown", "keydown")


class VideoView:
    """The avatar's one ``<video>``: created on the first attach, moved by later ones."""

    def __init__(self) -> None:
        self._proxies = Proxies()
        self._video: Any = None
        self._stream: Any = None
        self._unmute: Any = None  # the gesture listener while autoplay with sound is blocked

    def attach(self, container_id: str) -> None:
        import js

        container = js.document.getElementById(container_id)
        if not container:
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION,
                f"No element with id {container_id!r} in the page",
                {"container_id": container_id},
            )
        if self._video is None:
            self._video = self._create()
        if not (self._video.parentNode and self._video.parentNode == container):
            container.appendChild(self._video)

    @staticmethod
    def _create() -> Any:
        import js

        video = js.document.createElement("video")
        video.setAttribute("autoplay", "")
        video.setAttribute("playsinline", "")
        video.setAttribute("data-kaltura-avatar", "")
        video.autoplay = True
        video.playsInline = True
        video.muted = False
        for name, value in VIDEO_STYLE.items():
            setattr(video.style, name, value)
        return video

    def show(self, stream: Any) -> None:
        self._stream = stream
        if self._video is not None and not (self._video.srcObject and self._video.srcObject == stream):
            self._video.srcObject = stream

    async def play(self) -> None:
        from pyodide.ffi import JsException

        video = self._video
        if video is None or self._stream is None:
            return
        if not video.srcObject:
            video.srcObject = self._stream
        video.muted = False
        try:
            await video.play()
            return
        except JsException as exc:
            if _error_name(exc) != "NotAllowedError":
                logger.debug("play() was interrupted: %s", _error_name(exc))
                return
        logger.warning("Autoplay with sound was blocked: the avatar plays muted until the next click or key press")
        video.muted = True
        try:
            await video.play()
        except JsException as exc:
            logger.warning("The video could not start even muted (%s)", _error_name(exc))
        self._unmute_on_gesture()

    def _unmute_on_gesture(self) -> None:
        import js

        if self._unmute is not None:
            return

        def unmute(_event: Any) -> None:
            self._remove_gesture_listener()
            if self._video is not None:
                self._video.muted = False
                if self._video.paused:
                    self._video.play().catch(lambda _error: None)
                logger.info("Sound on after a user gesture")

        self._unmute = self._proxies.create(unmute)
        for name in GESTURES:
            js.document.addEventListener(name, self._unmute, _obj({"capture": True}))

    def _remove_gesture_listener(self) -> None:
        import js

        if self._unmute is not None:
            for name in GESTURES:
                js.document.removeEventListener(name, self._unmute, True)
            self._unmute = None  # the proxy itself is destroyed with the view

    @property
    def audible(self) -> bool:
        video = self._video
        return bool(video is not None and self._stream is not None and video.isConnected and not video.muted)

    def detach(self) -> None:
        from pyodide.ffi import jsnull

        self._remove_gesture_listener()
        if self._video is not None:
            self._video.pause()
            self._video.srcObject = jsnull
            self._video.remove()
        self._video = self._stream = None
        self._proxies.destroy_all()


# --- audio level without the element ----------------------------------------------------
class WebAudioMeter:
    """Peak level of a stream's audio through a WebAudio ``AnalyserNode``."""

    def __init__(self, stream: Any) -> None:
        import js

        self._context = js.AudioContext.new()
        self._source = self._context.createMediaStreamSource(stream)
        self._analyser = self._context.createAnalyser()
        self._analyser.fftSize = 1024
        self._source.connect(self._analyser)
        self._buffer = js.Float32Array.new(self._analyser.fftSize)
        if self._context.state == "suspended":
            self._context.resume().catch(lambda _error: None)

    def level(self) -> float:
        self._analyser.getFloatTimeDomainData(self._buffer)
        samples = array("f")
        samples.frombytes(self._buffer.to_bytes())
        return max((abs(s) for s in samples), default=0.0)

    def close(self) -> None:
        self._source.disconnect()
        self._context.close().catch(lambda _error: None)


# --- page -----------------------------------------------------------------------------
def on_pagehide(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` synchronously on ``pagehide``; returns the unsubscribe function."""
    import js

    proxies = Proxies()
    calling = False

    def listener(_event: Any) -> None:
        nonlocal calling
        calling = True
        try:
            callback()
        finally:
            calling = False

    proxy = proxies.create(listener)
    js.window.addEventListener("pagehide", proxy)

    def unsubscribe() -> None:
        js.window.removeEventListener("pagehide", proxy)
        if calling:  # unsubscribed from inside the listener: destroy once that call returned
            asyncio.get_event_loop().call_soon(proxies.destroy_all)
        else:
            proxies.destroy_all()

    return unsubscribe


def page_visible() -> bool:
    import js

    return not js.document.hidden


async def read_blob(value: Any) -> bytes:
    """The bytes of a JS ``Blob`` or ``File``."""
    import js
    from pyodide.ffi import JsProxy

    if not isinstance(value, JsProxy) or not js.Blob.prototype.isPrototypeOf(value):
        raise AvatarError(
            AvatarErrorCode.INVALID_CONFIGURATION,
            f"audio must be bytes, a File or a Blob, not {type(value).__name__}",
        )
    buffer = await value.arrayBuffer()
    return bytes(buffer.to_bytes())


# --- logging --------------------------------------------------------------------------
class ConsoleHandler(logging.Handler):
    """Log records to the browser console at the matching level."""

    def emit(self, record: logging.LogRecord) -> None:
        import js

        try:
            message = f"[kaltura_avatar] {self.format(record)}"
            if record.levelno >= logging.ERROR:
                js.console.error(message)
            elif record.levelno >= logging.WARNING:
                js.console.warn(message)
            elif record.levelno >= logging.INFO:
                js.console.info(message)
            else:
                js.console.debug(message)
        except Exception:  # logging must never break the session
            self.handleError(record)


def BrowserPlatform() -> Platform:  # noqa: N802 (reads as the class it stands for)
    """The ports implemented with the browser's APIs."""
    if not any(isinstance(h, ConsoleHandler) for h in logger.handlers):
        logger.addHandler(ConsoleHandler())
    return Platform(
        http=FetchHttp(),
        create_peer=BrowserPeerConnection,
        create_view=VideoView,
        create_meter=WebAudioMeter,
        on_pagehide=on_pagehide,
        read_blob=read_blob,
        page_visible=page_visible,
    )
