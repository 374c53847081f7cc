"""Connection stats for ``get_stats()``: ``ConnectionStats``, made from the browser's
``getStats()`` readings (``ports.MediaStats``) that the connection's monitor takes anyway.

Bitrates come from the byte counters over the last ``WINDOW_S`` of readings (``Bitrates``), so
one call answers with a live value; a new peer connection (its counters start again) starts a
new window.

>>> window = Bitrates()
>>> window.add(MediaStats(timestamp_ms=0, video_bytes=0, audio_bytes=0))
>>> window.add(MediaStats(timestamp_ms=1000, video_bytes=50_000, audio_bytes=4_000))
>>> window.bps()
(400000, 32000)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .ports import MediaStats

WINDOW_S = 2.0


@dataclass(frozen=True)
class ConnectionStats:
    """The avatar's media connection now; None where the browser has not said (yet)."""

    time_to_first_frame_ms: float | None = None  # from create_session/init_session to the first frame
    frames_per_second: float | None = None
    frames_decoded: int | None = None
    frames_dropped: int | None = None
    video_bitrate_bps: int | None = None  # over the last couple of seconds
    audio_bitrate_bps: int | None = None
    packets_lost: int | None = None  # video and audio
    jitter_ms: float | None = None  # the larger of video's and audio's
    round_trip_time_ms: float | None = None
    candidate_type: str | None = None  # how the browser reaches the media: host, srflx, prflx, relay


class Bitrates:
    """Byte counters over the last ``window_s`` seconds of readings."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self._window_ms = window_s * 1000
        self._readings: deque[tuple[float, int, int]] = deque()

    def add(self, stats: MediaStats) -> None:
        if stats.timestamp_ms is None or stats.video_bytes is None:
            return
        reading = (stats.timestamp_ms, stats.video_bytes, stats.audio_bytes or 0)
        last = self._readings[-1] if self._readings else None
        if last is not None and reading[0] == last[0]:
            return  # the same reading twice (the browser caches getStats for a few ms)
        if last is not None and (reading[0] < last[0] or reading[1] < last[1] or reading[2] < last[2]):
            self._readings.clear()  # counters went back: another peer connection
        self._readings.append(reading)
        while len(self._readings) > 2 and reading[0] - self._readings[1][0] >= self._window_ms:
            self._readings.popleft()

    def bps(self) -> tuple[int | None, int | None]:
        """(video, audio) bits per second; (None, None) until two readings are apart."""
        if len(self._readings) < 2:
            return None, None
        (t0, v0, a0), (t1, v1, a1) = self._readings[0], self._readings[-1]
        seconds = (t1 - t0) / 1000
        return round((v1 - v0) * 8 / seconds), round((a1 - a0) * 8 / seconds)

    def clear(self) -> None:
        self._readings.clear()


def connection_stats(stats: MediaStats, bitrates: Bitrates, first_frame_s: float | None) -> ConnectionStats:
    video_bps, audio_bps = bitrates.bps()
    return ConnectionStats(
        time_to_first_frame_ms=_ms(first_frame_s),
        frames_per_second=stats.frames_per_second,
        frames_decoded=stats.frames_decoded,
        frames_dropped=stats.frames_dropped,
        video_bitrate_bps=video_bps,
        audio_bitrate_bps=audio_bps,
        packets_lost=stats.packets_lost,
        jitter_ms=_ms(stats.jitter_s),
        round_trip_time_ms=_ms(stats.round_trip_time_s),
        candidate_type=stats.candidate_type,
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
