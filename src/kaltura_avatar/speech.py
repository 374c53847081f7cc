"""Speech: turn ids, splitting long text into one turn, and telling when the avatar is heard.

The Control API has no event channel, so speaking is detected from the audio the page
receives: ``LevelSource`` picks where the level comes from, and a level in 0..1 sampled about
every 100 ms feeds ``SpeakingDetector``, which turns it into start/end changes.

>>> split_text("One. Two.", limit=5)
['One.', 'Two.']
"""

from __future__ import annotations

import random
import re
import string
import time
from collections.abc import Callable
from typing import Any

from .log import DEFAULT_LOG, SessionLog
from .ports import AudioMeter, MediaStats

MAX_TEXT = 1000  # the server refuses longer say-text bodies

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])[\"')\]\u201d\u2019]*\s+")


def new_turn_id(now_ms: int | None = None) -> str:
    """``turn-<ms>-<9 base36 chars>``, the seed's shape."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=9))
    return f"turn-{now_ms}-{suffix}"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at sentence ends (else at spaces, else hard).

    Joining the pieces with single spaces gives the text back, whitespace between pieces aside.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _sentences(text):
        for part in _fit(sentence, limit):
            joined = f"{current} {part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


def _fit(sentence: str, limit: int) -> list[str]:
    """A sentence longer than ``limit`` cut at the last space before it (or hard)."""
    parts = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(sentence[:cut].rstrip())
        sentence = sentence[cut:].lstrip()
    if sentence:
        parts.append(sentence)
    return parts


class SpeakingDetector:
    """Hysteresis over audio levels: one start/end pair per utterance.

    Speaking starts at the first level >= ``start_level``; it ends once the level stays below
    ``stop_level`` for ``hold_s`` (longer than the pauses between words and phrases, short
    enough to end within a second). After ``interrupt()`` a start needs silence first, so the
    last buffered audio of an interrupted turn cannot start it again; that wait ends after
    ``settle_s`` at the latest, so a turn that follows the interrupt at once is still heard.
    """

    def __init__(
        self, start_level: float = 0.02, stop_level: float = 0.01, hold_s: float = 0.6, settle_s: float = 0.5
    ) -> None:
        if not 0 <= stop_level <= start_level:
            raise ValueError("need 0 <= stop_level <= start_level")
        self.start_level = start_level
        self.stop_level = stop_level
        self.hold_s = hold_s
        self.settle_s = settle_s
        self.speaking = False
        self._quiet_since: float | None = None
        self._need_silence = False
        self._settle_until: float | None = None  # set by the first sample after interrupt()

    def update(self, t: float, level: float, hold_s: float | None = None) -> str | None:
        """Feed one sample; return ``"start"``, ``"end"`` or ``None``. ``hold_s``: this source's
        hold, when it differs from the detector's own."""
        hold_s = self.hold_s if hold_s is None else hold_s
        if self._need_silence:
            if self._settle_until is None:
                self._settle_until = t + self.settle_s
            if level >= self.stop_level and t < self._settle_until:
                return None
            self._need_silence, self._settle_until = False, None
        if not self.speaking:
            if level >= self.start_level:
                self.speaking, self._quiet_since = True, None
                return "start"
            return None
        if level >= self.stop_level:
            self._quiet_since = None
            return None
        if self._quiet_since is None:
            self._quiet_since = t
        if t - self._quiet_since >= hold_s:
            self.speaking, self._quiet_since = False, None
            return "end"
        return None

    @property
    def ending(self) -> bool:
        """Speaking, and the level has been low since some sample: a pause or the end."""
        return self.speaking and self._quiet_since is not None

    def interrupt(self) -> str | None:
        """Speech was cut: ``"end"`` if it was speaking."""
        self._need_silence, self._settle_until = True, None
        return self.stop()

    def stop(self) -> str | None:
        was = self.speaking
        self.speaking, self._quiet_since = False, None
        return "end" if was else None


class LevelSource:
    """Where the speaking level comes from. Chromium computes inbound-rtp ``audioLevel`` only
    while the stream is rendered unmuted, so that is used while the ``<video>`` is audible;
    otherwise (no container, or autoplay muted) a WebAudio meter on the stream measures it.
    One meter per stream: a meter that fails is not tried again for that stream.

    ``hold_s(audible)`` is how long that source's level must stay low before speech counts as
    ended: longer than the pauses between sentences as that source shows them. Chromium's
    ``audioLevel`` keeps each peak for about 100 ms, so pauses look shorter than they are (the
    longest measured, espeak's "One. Two. Three.", stayed under 0.26 s; the monitor times a
    pause on a 50 ms clock, so 0.3 s is a margin of 40 ms and more); the meter reads the waveform
    itself and sees a pause whole (up to about 0.35 s).
    """

    RTP_HOLD_S = 0.3
    METER_HOLD_S = 0.6

    def __init__(
        self, create_meter: Callable[[Any], AudioMeter], log: SessionLog = DEFAULT_LOG,
        rtp_hold_s: float = RTP_HOLD_S, meter_hold_s: float = METER_HOLD_S,
    ) -> None:
        self._create_meter = create_meter
        self._log = log
        self._meter: AudioMeter | None = None
        self._stream: Any = None
        self.rtp_hold_s, self.meter_hold_s = rtp_hold_s, meter_hold_s

    def hold_s(self, audible: bool) -> float:
        return self.rtp_hold_s if audible else self.meter_hold_s

    def level(self, stats: MediaStats, stream: Any, audible: bool) -> float:
        if audible:
            return stats.audio_level or 0.0
        if stream is None:
            return 0.0
        if self._stream is not stream:
            self.close()
            self._stream = stream
            self._meter = self._try(lambda: self._create_meter(stream))
        if self._meter is None:
            return 0.0
        level = self._try(self._meter.level)
        if level is None:
            self._meter.close()
            self._meter = None
        return level or 0.0

    def _try(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # e.g. a stream with no audio track, or no AudioContext
            self._log.warning("Cannot measure the muted audio (%s): speaking events need the video audible", exc)
            return None

    def close(self) -> None:
        if self._meter is not None:
            self._meter.close()
        self._meter = self._stream = None
