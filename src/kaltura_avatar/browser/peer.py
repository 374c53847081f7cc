"""The browser's ``RTCPeerConnection``: the SDK's ``PeerConnection`` port, receive-only.

One video and one audio transceiver (``recvonly``, ``max-bundle``); candidates, connection
state and the remote stream reach the core through ``PeerCallbacks``; ``stats()`` reads
``getStats()``. ``close()`` detaches every handler and destroys their proxies.

>>> pc = BrowserPeerConnection(ice_servers=[], ice_transport_policy="all", callbacks=callbacks)  # doctest: +SKIP
>>> offer_sdp = await pc.create_offer()                                                        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ..ports import MediaStats, PeerCallbacks
from .interop import Proxies, js, js_object, jsnull, number

HANDLERS = ("onicecandidate", "onconnectionstatechange", "ontrack")


class BrowserPeerConnection:
    """A recvonly (video + audio) ``RTCPeerConnection`` with max-bundle."""

    def __init__(
        self, *, ice_servers: list[dict[str, Any]], ice_transport_policy: str, callbacks: PeerCallbacks
    ) -> None:
        self._callbacks = callbacks
        self._proxies = Proxies()
        self._stream: Any = None
        self._pc = js.RTCPeerConnection.new(
            js_object({"iceServers": ice_servers, "iceTransportPolicy": ice_transport_policy, "bundlePolicy": "max-bundle"})
        )
        for kind in ("video", "audio"):
            self._pc.addTransceiver(kind, js_object({"direction": "recvonly"}))
        self._pc.onicecandidate = self._proxies.create(self._on_candidate)
        self._pc.onconnectionstatechange = self._proxies.create(self._on_state)
        self._pc.ontrack = self._proxies.create(self._on_track)

    async def create_offer(self) -> str:
        offer = await self._pc.createOffer()
        await self._pc.setLocalDescription(offer)
        return str(self._pc.localDescription.sdp)

    async def set_answer(self, sdp: str) -> None:
        await self._pc.setRemoteDescription(js_object({"type": "answer", "sdp": sdp}))

    async def stats(self) -> MediaStats:
        report = await self._pc.getStats()
        stats = MediaStats()
        for stat in report.values():
            if stat.type != "inbound-rtp":
                continue
            kind = getattr(stat, "kind", None)
            if kind == "video":
                frames = number(getattr(stat, "framesDecoded", None))
                stats.frames_decoded = None if frames is None else int(frames)
            elif kind == "audio":
                stats.audio_level = number(getattr(stat, "audioLevel", None))
        return stats

    def _on_candidate(self, event: Any) -> None:
        candidate = event.candidate
        if not candidate or not candidate.candidate:
            self._callbacks.on_candidate(None, None, None)
            return
        index = number(candidate.sdpMLineIndex)
        self._callbacks.on_candidate(str(candidate.candidate), candidate.sdpMid or None, None if index is None else int(index))

    def _on_state(self, _event: Any) -> None:
        self._callbacks.on_state(str(self._pc.connectionState))

    def _on_track(self, event: Any) -> None:
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
        for handler in HANDLERS:
            setattr(self._pc, handler, jsnull)
        self._pc.close()
        self._proxies.destroy_all()
