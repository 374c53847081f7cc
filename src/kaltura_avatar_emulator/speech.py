"""A session's speech timeline: ordered turns of PCM segments, played 20 ms at a time, with interrupt."""
from __future__ import annotations

import asyncio
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
    pcm: np.ndarray | None = None
    failed: bool = False
    error: Exception | None = None
    pos: int = 0


@dataclass
class SpeechRecord:
    turn_id: str
    start: float
    end: float | None = None

    def as_dict(self) -> dict:
        return {"turn_id": self.turn_id, "start": self.start, "end": self.end}


@dataclass
class Speaker:
    """Feeds the audio track. Segments play in arrival order; a pending head segment holds the line."""

    queue: deque[Segment] = field(default_factory=deque)
    records: list[SpeechRecord] = field(default_factory=list)
    tasks: set[asyncio.Task] = field(default_factory=set)
    current: SpeechRecord | None = None
    level: float = 0.0  # smoothed RMS (0..1) of what was last sent

    def reserve(self, turn_id: str) -> Segment:
        """Take a place in line now (arrival order), fill `pcm` later."""
        seg = Segment(turn_id)
        self.queue.append(seg)
        return seg

    def enqueue(self, turn_id: str, pcm: np.ndarray) -> None:
        self.reserve(turn_id).pcm = pcm

    def fill_later(self, turn_id: str, make_pcm: Awaitable[np.ndarray]) -> tuple[Segment, asyncio.Task]:
        """Reserve a place now and fill it when `make_pcm` finishes (interrupt cancels it).

        The task outlives the request that started it, so a client hanging up cannot block the line.
        """
        seg = self.reserve(turn_id)

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
        self.queue.clear()
        self._close_record()

    @property
    def speaking(self) -> bool:
        return self.current is not None

    def queued_ms(self) -> float:
        samples = sum(len(s.pcm) - s.pos for s in self.queue if s.pcm is not None)
        return samples * 1000.0 / RATE

    def next_frame(self) -> np.ndarray:
        """The next 20 ms of int16 PCM: speech from the head of the line, else silence."""
        if not self.queue:
            self._close_record()
            self.level *= 0.6
            return SILENCE
        out = np.zeros(FRAME_SAMPLES, np.int16)
        filled = 0
        while filled < FRAME_SAMPLES and self.queue:
            seg = self.queue[0]
            if seg.failed:
                self.queue.popleft()
                continue
            if seg.pcm is None:
                break  # still synthesising: keep the place, send silence meanwhile
            if self.current is None or self.current.turn_id != seg.turn_id:
                self._close_record()
                self.current = SpeechRecord(seg.turn_id, time.time())
                self.records.append(self.current)
            take = min(FRAME_SAMPLES - filled, len(seg.pcm) - seg.pos)
            out[filled : filled + take] = seg.pcm[seg.pos : seg.pos + take]
            filled += take
            seg.pos += take
            if seg.pos >= len(seg.pcm):
                self.queue.popleft()
        if not self.queue and filled == 0:
            self._close_record()
        samples = out.astype(np.float32) / 32768.0
        rms = float(np.sqrt(np.dot(samples, samples) / FRAME_SAMPLES))
        # fast attack, slower release: lips open with the sound and close soon after
        self.level = rms if rms > self.level else self.level * 0.6 + rms * 0.4
        return out

    def _close_record(self) -> None:
        if self.current is not None:
            self.current.end = time.time()
            self.current = None
