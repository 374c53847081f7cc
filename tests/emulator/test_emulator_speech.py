"""The speech timeline in process: turn order with isFinal, the open-turn safety timeout, interrupt."""
from __future__ import annotations

import time

import numpy as np

from kaltura_avatar_emulator.speech import FRAME_SAMPLES, Speaker


def chunk(speaker: Speaker, turn_id: str, value: int, frames: int = 2, final: bool = True,
          text: str | None = None) -> None:
    speaker.reserve(turn_id, final, text).pcm = np.full(FRAME_SAMPLES * frames, value, np.int16)


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


def test_a_record_holds_the_text_heard_and_whether_it_was_cut_short():
    s = Speaker()
    chunk(s, "llm", 1, final=False, text="Sure,")
    chunk(s, "llm", 2, final=False, text="here is ")
    chunk(s, "llm", 3, text="the answer.")
    chunk(s, "clip", 4)  # say-audio: no text
    chunk(s, "long", 5, frames=50, text="A long turn.")
    chunk(s, "queued", 6, text="Never heard.")
    play(s, 2)
    assert s.records[0].text == "Sure,"  # what has begun playing, not what is queued
    play(s, 4 + 2 + 1)
    s.interrupt()
    assert [r.as_dict() | {"start": 0, "end": 0} for r in s.records] == [
        {"turn_id": "llm", "text": "Sure, here is the answer.", "interrupted": False, "start": 0, "end": 0},
        {"turn_id": "clip", "text": None, "interrupted": False, "start": 0, "end": 0},
        {"turn_id": "long", "text": "A long turn.", "interrupted": True, "start": 0, "end": 0},
    ]
    assert all(r.end >= r.start for r in s.records)
