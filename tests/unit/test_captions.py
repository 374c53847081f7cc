"""Captions: turns sent matched to the speech heard (kaltura_avatar.captions), alone and in a session."""

import pytest

from fakes import FAST, KS, FakePage, FakeView, eventually, id3_tag, make_world, mp3_frame
from kaltura_avatar import KalturaAvatarSession
from kaltura_avatar.captions import Caption, Captions

MP3 = id3_tag() + mp3_frame() * 4


class Heard:
    """A Captions with a fake view; ``events`` is every event it emitted, in order."""

    def __init__(self, enabled=True):
        self.events = []
        self.view = FakeView(FakePage())
        self.captions = Captions(lambda *event: self.events.append(event), self.view, enabled=enabled)

    def start(self):
        self.captions.relay("speakingStart")

    def end(self):
        self.captions.relay("speakingEnd")

    def said(self):
        return [e[1] for e in self.events if e[0] == "caption"]


def test_a_turn_is_captioned_while_it_is_heard():
    h = Heard()
    h.captions.sent("t1", "Hello there.", True)
    assert h.said() == [] and h.view.cues == []  # sent, not heard yet
    h.start()
    assert h.events == [("speakingStart",), ("caption", Caption("t1", "Hello there.", True))]
    assert h.view.cues == [["t1", "Hello there.", True]]
    h.end()
    assert h.view.cues == [["t1", "Hello there.", False]] and h.events[-1] == ("speakingEnd",)


def test_a_streamed_turn_grows_while_heard_and_survives_a_pause():
    h = Heard()
    h.captions.sent("t1", "Hello, ", False)
    h.start()
    h.captions.sent("t1", "how are ", False)
    h.end()  # the stream paused longer than the detector's hold
    h.captions.sent("t1", "you?", True)  # not heard yet: no event
    h.start()
    assert h.said() == [Caption("t1", "Hello, ", False), Caption("t1", "Hello, how are ", False),
                        Caption("t1", "Hello, how are you?", True)]
    assert h.view.cues == [["t1", "Hello, how are you?", True]]  # one cue, its text replaced


def test_turns_follow_one_another_in_the_order_sent():
    h = Heard()
    for turn, text in (("a", "One."), ("b", "Two."), ("c", "Three.")):
        h.captions.sent(turn, text, True)
    for _ in range(3):
        h.start()
        h.end()
    assert [c.turn_id for c in h.said()] == ["a", "b", "c"]
    assert h.view.cues == [["a", "One.", False], ["b", "Two.", False], ["c", "Three.", False]]
    h.start()  # more speech with nothing else sent: the last turn again (a pause inside it)
    assert h.said()[-1].turn_id == "c" and h.view.cues[-1] == ["c", "Three.", True]


def test_a_final_turns_id_used_again_is_a_new_turn():
    h = Heard()
    h.captions.sent("same", "First.", True)
    h.captions.sent("same", "Second.", True)
    h.start()
    h.end()
    h.start()
    assert [c.text for c in h.said()] == ["First.", "Second."]


def test_audio_without_its_text_gets_no_caption_but_keeps_its_place():
    h = Heard()
    h.captions.sent("speech", "Before the clip.", True)
    h.captions.sent("clip", None, True)
    h.captions.sent("after", "After the clip.", True)
    for _ in range(3):
        h.start()
        h.end()
    assert [c.text for c in h.said()] == ["Before the clip.", "After the clip."]
    assert [cue[0] for cue in h.view.cues] == ["speech", "after"]


def test_interrupt_ends_the_cue_and_forgets_the_queued_turns():
    h = Heard()
    h.captions.sent("a", "Long answer.", True)
    h.captions.sent("b", "Queued behind it.", True)
    h.start()
    h.captions.interrupted()
    assert h.view.cues == [["a", "Long answer.", False]]
    h.captions.sent("c", "After the interrupt.", True)
    h.start()
    assert [c.turn_id for c in h.said()] == ["a", "c"]


def test_off_in_config_relays_events_and_captions_nothing():
    h = Heard(enabled=False)
    h.captions.sent("a", "Hello.", True)
    h.start()
    h.end()
    assert h.events == [("speakingStart",), ("speakingEnd",)] and h.view.cues == []


def test_a_failing_cue_never_stops_the_events():
    h = Heard()

    def broken(*_):
        raise RuntimeError("the browser said no")

    h.view.caption = broken
    h.captions.sent("a", "Hello.", True)
    h.start()  # does not raise: the media monitor calling this goes on
    h.end()
    assert [e[0] for e in h.events] == ["speakingStart", "caption", "speakingEnd"]


# --- in a session ---------------------------------------------------------------------

@pytest.fixture
async def speaking_world():
    """A READY session whose audio level the test sets (``level["v"]``); its events recorded."""
    world = make_world()
    level = {"v": 0.0}
    world.peers.level = lambda: level["v"]
    events = []
    sessions = []

    async def start(**config):
        session = KalturaAvatarSession(KS, {**FAST, **config}, platform=world.platform)
        for name in ("caption", "speakingStart", "speakingEnd"):
            session.on(name, lambda *args, name=name: events.append((name, *args)))
        await session.create_session("avatar-123", None, "avatar-container")
        session._media._levels.rtp_hold_s = session._media._levels.meter_hold_s = 0.05
        sessions.append(session)
        return session

    yield world, level, events, start
    for session in sessions:
        await session.end_session()


async def speak(level, events, count):
    level["v"] = 0.4
    await eventually(lambda: sum(e[0] == "speakingStart" for e in events) >= count)
    level["v"] = 0.0
    await eventually(lambda: sum(e[0] == "speakingEnd" for e in events) >= count)


async def test_a_session_captions_text_and_audio_with_text_in_order(speaking_world):
    world, level, events, start = speaking_world
    session = await start()
    long_text = " ".join(f"Sentence {i} of a long answer." for i in range(60))  # sent in pieces
    first = await session.say_text(long_text)
    await session.say_audio(MP3, "clip-1", 1.0, text="What the clip says.")
    await session.say_audio(MP3, "clip-2", 1.0)  # no text: no caption
    last = await session.say_text("Bye.")
    for n in range(1, 5):
        await speak(level, events, n)
    assert [(e[1].turn_id, e[1].text, e[1].is_final) for e in events if e[0] == "caption"] == [
        (first, long_text, True), ("clip-1", "What the clip says.", True), (last, "Bye.", True)]
    (view,) = world.page.views
    assert [cue[0] for cue in view.cues] == [first, "clip-1", last]


async def test_interrupt_drops_the_queued_captions(speaking_world):
    world, level, events, start = speaking_world
    session = await start()
    await session.say_text("Being said.", "a")
    await session.say_text("Never said: dropped by the interrupt.", "b")
    level["v"] = 0.4
    await eventually(lambda: any(e[0] == "caption" for e in events))
    await session.interrupt()
    await session.say_text("Said after it.", "c")
    level["v"] = 0.0
    await speak(level, events, 2)
    assert [e[1].turn_id for e in events if e[0] == "caption"] == ["a", "c"]


async def test_captions_off_in_config(speaking_world):
    world, level, events, start = speaking_world
    session = await start(captions=False)
    await session.say_text("Hello.")
    await speak(level, events, 1)
    assert [e[0] for e in events] == ["speakingStart", "speakingEnd"]
    assert world.page.views[0].cues == []


async def test_say_audio_text_must_be_a_string(speaking_world):
    _, _, _, start = speaking_world
    session = await start()
    with pytest.raises(Exception) as excinfo:
        await session.say_audio(MP3, "clip", 1.0, text=42)
    assert excinfo.value.code == "INVALID_CONFIGURATION"


def test_cue_text_shows_markup_as_text():
    from kaltura_avatar.browser.video import vtt_text

    assert vtt_text('Hi <img src=x onerror="1"> & <b>bye</b>') == \
        'Hi &lt;img src=x onerror="1"&gt; &amp; &lt;b&gt;bye&lt;/b&gt;'
    assert vtt_text("Plain words.") == "Plain words."
