"""The browser's ``RTCPeerConnection``: the SDK's ``PeerConnection`` port, receive-only.

One video and one audio transceiver (``recvonly``, ``max-bundle``); candidates, connection
state, the remote stream and the first video frame reach the core through ``PeerCallbacks``;
``stats()`` reads ``getStats()``: the inbound-rtp counters, and the selected candidate pair's
round-trip time and local candidate type. ``close()`` detaches every handler and destroys their
proxies.

The first frame is seen by a probe: a detached, muted ``<video>`` on the video track whose
``requestVideoFrameCallback`` fires as the first frame is presented (Chromium caches
``getStats()`` for about 50 ms, so the counters show it up to that much later). The probe lets go
of the track once it fired; in a hidden tab it may never fire, and the core polls stats as well.

It is made, and its offer created, before the ICE servers are known (they come with the media's
location); ``start`` sets them with ``setConfiguration``, which may change the servers and the
transport policy until gathering begins at ``setLocalDescription``.

>>> pc = BrowserPeerConnection(callbacks=callbacks)                                     # doctest: +SKIP
>>> await pc.create_offer()                                                             # doctest: +SKIP
>>> offer_sdp = await pc.start(ice_servers=servers, ice_transport_policy="all")         # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ..ports import MediaStats, PeerCallbacks
from .interop import Proxies, ignore_rejection, js, js_object, jsnull, number

HANDLERS = ("onicecandidate", "onconnectionstatechange", "ontrack")
BUNDLE = "max-bundle"  # setConfiguration must repeat it: a different bundlePolicy is refused


class BrowserPeerConnection:
    """A recvonly (video + audio) ``RTCPeerConnection`` with max-bundle."""

    def __init__(self, *, callbacks: PeerCallbacks) -> None:
        self._callbacks = callbacks
        self._proxies = Proxies()
        self._stream: Any = None
        self._probe: Any = None  # the first-frame <video>, until it fired
        self._probe_handle: Any = None
        self._offer: Any = None
        self._pc = js.RTCPeerConnection.new(js_object({"bundlePolicy": BUNDLE}))
        for kind in ("video", "audio"):
            self._pc.addTransceiver(kind, js_object({"direction": "recvonly"}))
        self._pc.onicecandidate = self._proxies.create(self._on_candidate)
        self._pc.onconnectionstatechange = self._proxies.create(self._on_state)
        self._pc.ontrack = self._proxies.create(self._on_track)

    async def create_offer(self) -> None:
        self._offer = await self._pc.createOffer()

    async def start(self, *, ice_servers: list[dict[str, Any]], ice_transport_policy: str) -> str:
        self._pc.setConfiguration(
            js_object({"iceServers": ice_servers, "iceTransportPolicy": ice_transport_policy, "bundlePolicy": BUNDLE})
        )
        await self._pc.setLocalDescription(self._offer)
        return str(self._pc.localDescription.sdp)

    async def set_answer(self, sdp: str) -> None:
        await self._pc.setRemoteDescription(js_object({"type": "answer", "sdp": sdp}))

    async def stats(self) -> MediaStats:
        report = await self._pc.getStats()
        stats = MediaStats()
        pairs, local_types, selected = {}, {}, None
        for stat in report.values():
            kind = stat.type
            if kind == "inbound-rtp":
                _inbound(stats, stat)
            elif kind == "candidate-pair":
                pairs[str(stat.id)] = stat
                if selected is None and getattr(stat, "nominated", False) and stat.state == "succeeded":
                    selected = str(stat.id)
            elif kind == "transport" and getattr(stat, "selectedCandidatePairId", None):
                selected = str(stat.selectedCandidatePairId)  # the transport's word wins
            elif kind == "local-candidate":
                local_types[str(stat.id)] = getattr(stat, "candidateType", None)
        pair = pairs.get(selected)
        if pair is not None:
            stats.round_trip_time_s = number(getattr(pair, "currentRoundTripTime", None))
            candidate_type = local_types.get(str(getattr(pair, "localCandidateId", "")))
            stats.candidate_type = str(candidate_type) if candidate_type else None
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
        if event.track.kind == "video":
            self._watch_first_frame(event.track)
        self._callbacks.on_stream(stream)

    def _watch_first_frame(self, track: Any) -> None:
        if self._probe is not None:
            return
        probe = js.document.createElement("video")
        if not hasattr(probe, "requestVideoFrameCallback"):
            return  # not in this browser: stats alone say when frames come
        probe.muted = probe.autoplay = probe.playsInline = True
        probe.srcObject = js.MediaStream.new([track])
        self._probe = probe
        self._probe_handle = probe.requestVideoFrameCallback(self._proxies.create(self._frame_shown))
        ignore_rejection(probe.play())

    def _frame_shown(self, *_args: Any) -> None:
        self._stop_probe()
        self._callbacks.on_frame()

    def _stop_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancelVideoFrameCallback(self._probe_handle)
            probe.srcObject = jsnull

    def close(self) -> None:
        for handler in HANDLERS:
            setattr(self._pc, handler, jsnull)
        self._stop_probe()
        self._pc.close()
        self._offer = None
        self._proxies.destroy_all()


def _inbound(stats: MediaStats, stat: Any) -> None:
    """Fold one inbound-rtp entry (video or audio) into ``stats``."""
    kind = getattr(stat, "kind", None)
    count = _whole(getattr(stat, "bytesReceived", None))
    lost = _whole(getattr(stat, "packetsLost", None))
    if lost is not None:
        stats.packets_lost = (stats.packets_lost or 0) + lost
    jitter = number(getattr(stat, "jitter", None))
    if jitter is not None:
        stats.jitter_s = max(jitter, stats.jitter_s or 0.0)
    if kind == "video":
        stats.timestamp_ms = number(getattr(stat, "timestamp", None))
        stats.frames_decoded = _whole(getattr(stat, "framesDecoded", None))
        stats.frames_dropped = _whole(getattr(stat, "framesDropped", None))
        stats.frames_per_second = number(getattr(stat, "framesPerSecond", None))
        stats.video_bytes = count
    elif kind == "audio":
        stats.audio_level = number(getattr(stat, "audioLevel", None))
        stats.audio_bytes = count


def _whole(value: Any) -> int | None:
    n = number(value)
    return None if n is None else int(n)
