import random
import re

import pytest

from fakes import id3_tag, mp3_frame
from kaltura_avatar.mp3 import mp3_sample_rate
from kaltura_avatar.speech import MAX_TEXT, SpeakingDetector, new_turn_id, split_text


def test_turn_ids_have_the_seed_shape_and_are_unique():
    ids = {new_turn_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"turn-\d{13}-[a-z0-9]{9}", i) for i in ids)
    assert new_turn_id(now_ms=1700000000000).startswith("turn-1700000000000-")


def test_short_text_is_one_piece():
    assert split_text("Hello there. How are you?") == ["Hello there. How are you?"]
    assert split_text("x" * MAX_TEXT) == ["x" * MAX_TEXT]


def test_long_text_splits_at_sentence_ends_into_pieces_within_the_limit():
    sentences = [f"Sentence number {i} says something rather ordinary!" if i % 3 else
                 f"Is this question {i} long enough?" for i in range(60)]
    text = " ".join(sentences)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p) <= MAX_TEXT for p in pieces)
    assert " ".join(pieces) == text  # nothing lost, nothing reordered
    assert all(p.endswith(("!", "?")) for p in pieces)  # every cut is at a sentence end


def test_a_sentence_longer_than_the_limit_is_cut_at_spaces_then_hard():
    words = " ".join(["word"] * 400) + "."
    pieces = split_text(words)
    assert all(len(p) <= MAX_TEXT for p in pieces) and " ".join(pieces) == words
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    blob = "y" * 2500
    assert split_text(blob) == ["y" * 1000, "y" * 1000, "y" * 500]


# --- the speaking detector on synthetic level sequences (one sample every 100 ms) ----------
def run(levels, detector=None, step=0.1):
    detector = detector or SpeakingDetector()
    events = []
    for i, level in enumerate(levels):
        change = detector.update(i * step, level)
        if change:
            events.append((change, round(i * step, 2)))
    return events


SPEECH = [0.3, 0.5, 0.2, 0.4]
WORD_GAP = [0.0, 0.004]
SILENCE = [0.0] * 15


def test_one_start_end_pair_per_utterance_despite_pauses_between_words():
    levels = SILENCE[:3] + (SPEECH + WORD_GAP) * 6 + [0.0, 0.0, 0.0, 0.003] + SPEECH + SILENCE
    events = run(levels)
    assert [e for e, _ in events] == ["start", "end"]


def test_start_is_at_the_first_loud_sample_and_end_within_a_second_of_silence():
    levels = SILENCE[:5] + SPEECH * 5 + SILENCE
    (start, t_start), (end, t_end) = run(levels)
    assert t_start == pytest.approx(0.5)  # first loud sample
    last_loud = (5 + 20 - 1) * 0.1
    assert 0.3 <= t_end - last_loud <= 1.0


def test_two_utterances_a_breath_apart_are_two_pairs():
    levels = SPEECH * 3 + SILENCE + SPEECH * 3 + SILENCE
    assert [e for e, _ in run(levels)] == ["start", "end", "start", "end"]


def test_the_hold_follows_the_level_source():
    """A pause as audioLevel shows it (peaks held ~100 ms) must not end speech, one as the meter
    shows it neither; the audioLevel source ends speech sooner after the last loud sample."""
    from fakes import FakeMeter, FakePage
    from kaltura_avatar.ports import MediaStats
    from kaltura_avatar.speech import LevelSource

    page = FakePage(meter_level=lambda: 0.0)
    source = LevelSource(lambda stream: FakeMeter(page, stream))
    assert source.level(MediaStats(audio_level=0.3), object(), audible=True) == 0.3
    assert source.hold_s(audible=True) == LevelSource.RTP_HOLD_S
    source.level(MediaStats(), object(), audible=False)
    assert source.hold_s(audible=False) == LevelSource.METER_HOLD_S > LevelSource.RTP_HOLD_S

    def run_with(hold, pause_s):
        detector, events, t = SpeakingDetector(), [], 0.0
        for level in SPEECH * 3 + [0.0] * round(pause_s / 0.05) + SPEECH * 3 + [0.0] * 40:
            change = detector.update(t, level, hold)
            events += [(change, round(t, 2))] if change else []
            t += 0.05
        return events

    assert [e for e, _ in run_with(LevelSource.RTP_HOLD_S, 0.25)] == ["start", "end"]  # espeak's longest
    assert [e for e, _ in run_with(LevelSource.METER_HOLD_S, 0.35)] == ["start", "end"]
    rtp_end, meter_end = run_with(LevelSource.RTP_HOLD_S, 0.2)[-1][1], run_with(LevelSource.METER_HOLD_S, 0.2)[-1][1]
    assert rtp_end < meter_end and rtp_end - (0.6 + 0.2 + 0.6 - 0.05) <= LevelSource.RTP_HOLD_S + 0.06


def test_ending_is_true_while_a_pause_is_timed():
    detector = SpeakingDetector(hold_s=0.25)
    seen = []
    for t, level in enumerate([0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]):
        detector.update(t * 0.1, level)
        seen.append(detector.ending)
    assert seen == [False, False, False, True, True, False, True, True, True, False, False]


def test_noise_below_the_start_level_never_starts():
    assert run([0.01, 0.019, 0.015, 0.0] * 20) == []


def test_interrupt_ends_at_once_and_tail_audio_does_not_restart():
    detector = SpeakingDetector()
    assert run(SPEECH, detector) == [("start", 0.0)]
    assert detector.interrupt() == "end"
    assert detector.update(0.5, 0.4) is None  # audio still buffered after the interrupt
    assert detector.update(0.6, 0.0) is None
    assert detector.update(0.7, 0.4) == "start"  # the next turn
    assert SpeakingDetector().interrupt() is None


def test_a_turn_right_after_an_interrupt_is_still_heard():
    """No silence between the interrupted turn's tail and the next turn: start after settle_s."""
    detector = SpeakingDetector(settle_s=0.5)
    assert run(SPEECH, detector) == [("start", 0.0)]
    assert detector.interrupt() == "end"
    t0 = 10.0
    events = [(e, round(t - t0, 1)) for t, e in
              ((t0 + i / 10, detector.update(t0 + i / 10, 0.3)) for i in range(20)) if e]
    assert events == [("start", 0.5)]  # once, at the end of the settle time, never flapping


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        SpeakingDetector(start_level=0.01, stop_level=0.02)


# --- MP3 check ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, rate",
    [
        (mp3_frame() * 3, 44100),
        (mp3_frame(rate_index=1), 48000),
        (mp3_frame(rate_index=2), 32000),
        (mp3_frame(version=0b10), 22050),
        (id3_tag() + mp3_frame(), 44100),
        (id3_tag() + b"\x00" * 32 + mp3_frame(rate_index=1), 48000),
        (mp3_frame(layer=0b10), None),  # MPEG Layer II
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"OggS" + b"\x00" * 100, None),
        (id3_tag(), None),
        (b"", None),
    ],
)
def test_mp3_sample_rate_from_the_first_frame(data, rate):
    assert mp3_sample_rate(data) == rate


def test_a_lone_sync_word_in_other_data_is_not_mp3():
    """A frame header must be confirmed by the next one, where its length puts it."""
    fake = b"\x00" * 100 + mp3_frame()[:4] + bytes(range(256)) * 16
    assert mp3_sample_rate(fake) is None
    assert mp3_sample_rate(b"\x00" * 100 + mp3_frame() * 2 + b"tail") == 44100


def test_random_bytes_are_not_taken_for_mp3():
    rng = random.Random(7)
    blobs = [rng.randbytes(8192) for _ in range(500)]
    assert sum(mp3_sample_rate(b) is not None for b in blobs) <= 2  # was about 11 in 500 before
