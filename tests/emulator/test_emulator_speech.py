"""The speech timeline in process: turn order with isFinal, the open-turn safety timeout, interrupt."""
from __future__ import annotations

import time

import numpy as np

from kaltura_avatar_emulator.speech import FRAME_SAMPLES, Speaker


def chunk(speaker: Speaker, turn_id: str, value: int, frames: int = 2, final: bool = True) -> None:
    speaker.reserve(turn_id, final).pcm = np.full(FRAME_SAMPLES * frames, value, np.int16)


def play(speaker: Speaker, n: int) -> list[int]:
    """The value of each of the next n frames (0: silence)."""
    return [int(speaker.next_frame()[0]) for _ in range(n)]


def test_open_turn_holds_the_line_until_final():
    s = Speaker()
    chunk(s, "a", 1, final=False)
    chunk(s, "b", 2)
    assert play(s, 4) == [1, 1, 0, 0]  # A drained but open: B waits
    assert s.speaking and [r.turn_id for r in s.records] == ["a"]
    chunk(s, "a", 3)
    assert play(s, 5) == [3, 3, 2, 2, 0]
    assert [r.turn_id for r in s.records] == ["a", "b"] and all(r.end for r in s.records)
    assert s.records[0].end <= s.records[1].start


def test_chunk_of_an_open_turn_goes_before_later_turns():
    s = Speaker()
    chunk(s, "a", 1, final=False)
    chunk(s, "b", 2)
    chunk(s, "a", 3)
    assert play(s, 7) == [1, 1, 3, 3, 2, 2, 0]


def test_chunk_for_a_closed_turn_starts_a_new_turn():
    s = Speaker()
    chunk(s, "a", 1)
    chunk(s, "b", 2)
    chunk(s, "a", 3)
    assert play(s, 7) == [1, 1, 2, 2, 3, 3, 0]
    assert [r.turn_id for r in s.records] == ["a", "b", "a"]


def test_open_turn_without_a_new_chunk_closes_after_the_idle_timeout():
    s = Speaker()
    s.TURN_IDLE_S = 0.1
    chunk(s, "a", 1, final=False)
    chunk(s, "b", 2)
    assert play(s, 3) == [1, 1, 0]
    time.sleep(0.15)
    assert play(s, 3) == [2, 2, 0]
    assert [r.turn_id for r in s.records] == ["a", "b"] and not s.speaking


def test_interrupt_drops_every_turn_at_once():
    s = Speaker()
    chunk(s, "a", 1, final=False)
    chunk(s, "b", 2)
    assert play(s, 1) == [1]
    s.interrupt()
    assert play(s, 3) == [0, 0, 0] and not s.speaking and s.queued_ms() == 0
    assert s.records[0].end is not None
