"""A session's speech timeline: ordered turns of PCM segments, played 20 ms at a time, with interrupt."""
from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field

import numpy as np

from .audio import RATE

FRAME_SAMPLES = RATE // 50  # 20 ms
SILENCE = np.zeros(FRAME_SAMPLES, np.int16)
SILENCE.flags.writeable = False


@dataclass
class Segment:
    """One say-text chunk or say-audio clip; `pcm` is None until synthesis finishes."""

    turn_id: str
    text: str | None = None  # a say-text chunk's text; None for an audio clip
    pcm: np.ndarray | None = None
    failed: bool = False
    error: Exception | None = None
    pos: int = 0


@dataclass
class SpeechRecord:
    """One turn as the viewer heard it: from its first sound to its last (or the interrupt)."""

    turn_id: str
    start: float
    end: float | None = None
    text: str | None = None  # the turn's text chunks that began playing, joined; None for audio
    interrupted: bool = False  # cut short by interrupt (or the session's end)

    def heard(self, chunk: str) -> None:
        """Add a text chunk as it begins to play (a space between chunks that have none)."""
        if not self.text:
            self.text = chunk
        elif self.text[-1].isspace() or chunk[:1].isspace():
            self.text += chunk
        else:
            self.text += " " + chunk

    def as_dict(self) -> dict:
        return {"turn_id": self.turn_id, "start": self.start, "end": self.end, "text": self.text,
                "interrupted": self.interrupted}


@dataclass
class Turn:
    """The chunks of one turnId, in arrival order. Open until isFinal (or TURN_IDLE_S without a chunk)."""

    turn_id: str
    segments: deque[Segment] = field(default_factory=deque)
    final: bool = False
    last_chunk: float = field(default_factory=time.monotonic)
    chars: int = 0  # text received so far (say-text chunks)


@dataclass
class Speaker:
    """Feeds the audio track. Turns play in arrival order, each to its end before the next starts.

    A chunk of a turn that is still open (not final) joins that turn behind its last segment; a
    chunk whose turnId names no open turn (new, final already, or timed out) starts a new turn at
    the back. A drained open turn holds the line (silence) until its next chunk or isFinal, or
    until TURN_IDLE_S pass without a chunk. A pending (synthesising) segment holds the line too.
    """

    TURN_IDLE_S = 10.0
    MAX_QUEUED_SEGMENTS = 100  # chunks and clips waiting (synthesising or to play), whatever their length

    turns: deque[Turn] = field(default_factory=deque)
    records: list[SpeechRecord] = field(default_factory=list)
    tasks: set[asyncio.Task] = field(default_factory=set)
    current: SpeechRecord | None = None  # the record of the head turn, from its first sound
    level: float = 0.0  # smoothed RMS (0..1) of what was last sent

    def open_turn(self, turn_id: str) -> Turn | None:
        """The turn a chunk with this id would join (None: it would start a new one)."""
        return next((t for t in self.turns if t.turn_id == turn_id and not t.final), None)

    def reserve(self, turn_id: str, final: bool = True, text: str | None = None) -> Segment:
        """Take a place in line now (arrival order), fill `pcm` later."""
        turn = self.open_turn(turn_id)
        if turn is None:
            turn = Turn(turn_id)
            self.turns.append(turn)
        seg = Segment(turn_id, text)
        turn.segments.append(seg)
        turn.final = final
        turn.last_chunk = time.monotonic()
        turn.chars += len(text or "")
        return seg

    def wait_before_more(self, max_seconds: float) -> int | None:
        """Seconds to wait before more speech may queue (the backlog is full), or None: it may now.

        The backlog is bounded by its audio (`max_seconds`, which plays away in real time) and by
        its number of segments; a request that fits may pass the bound by its own length only.
        """
        over = self.queued_ms() / 1000.0 - max_seconds
        if over >= 0:
            return max(1, math.ceil(over))
        if sum(len(t.segments) for t in self.turns) >= self.MAX_QUEUED_SEGMENTS:
            return 1
        return None

    def fill_later(self, turn_id: str, make_pcm: Awaitable[np.ndarray], final: bool = True,
                   text: str | None = None) -> tuple[Segment, asyncio.Task]:
        """Reserve a place now and fill it when `make_pcm` finishes (interrupt cancels it).

        The task outlives the request that started it, so a client hanging up cannot block the line.
        """
        seg = self.reserve(turn_id, final, text)

        async def fill() -> None:
            try:
                seg.pcm = await make_pcm
            except asyncio.CancelledError:
                seg.failed = True
                raise
            except Exception as exc:
                seg.failed, seg.error = True, exc

        task = asyncio.create_task(fill())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return seg, task

    def interrupt(self) -> None:
        """Stop at once and drop everything queued (pending synthesis included)."""
        for task in list(self.tasks):
            task.cancel()
        self.turns.clear()
        self._close_record(interrupted=True)

    @property
    def speaking(self) -> bool:
        return self.current is not None

    def queued_ms(self) -> float:
        samples = sum(len(s.pcm) - s.pos for t in self.turns for s in t.segments if s.pcm is not None)
        return samples * 1000.0 / RATE

    def next_frame(self) -> np.ndarray:
        """The next 20 ms of int16 PCM: speech from the head turn, else silence."""
        if not self.turns:
            self._close_record()
            self.level *= 0.6
            return SILENCE
        out = np.zeros(FRAME_SAMPLES, np.int16)
        filled = 0
        while filled < FRAME_SAMPLES and self.turns:
            turn = self.turns[0]
            if not turn.segments:
                if turn.final or time.monotonic() - turn.last_chunk >= self.TURN_IDLE_S:
                    self.turns.popleft()  # final and drained (or abandoned): the turn's record ends
                    self._close_record()
                    continue
                break  # open turn drained: wait for its next chunk, silence meanwhile
            seg = turn.segments[0]
            if seg.failed:
                turn.segments.popleft()
                continue
            if seg.pcm is None:
                break  # still synthesising: keep the place, send silence meanwhile
            if self.current is None:
                self.current = SpeechRecord(turn.turn_id, time.time())
                self.records.append(self.current)
            if seg.pos == 0 and seg.text is not None:
                self.current.heard(seg.text)
            take = min(FRAME_SAMPLES - filled, len(seg.pcm) - seg.pos)
            out[filled : filled + take] = seg.pcm[seg.pos : seg.pos + take]
            filled += take
            seg.pos += take
            if seg.pos >= len(seg.pcm):
                turn.segments.popleft()
        samples = out.astype(np.float32) / 32768.0
        rms = float(np.sqrt(np.dot(samples, samples) / FRAME_SAMPLES))
        # fast attack, slower release: lips open with the sound and close soon after
        self.level = rms if rms > self.level else self.level * 0.6 + rms * 0.4
        return out

    def _close_record(self, interrupted: bool = False) -> None:
        if self.current is not None:
            self.current.end = time.time()
            self.current.interrupted = interrupted
            self.current = None
