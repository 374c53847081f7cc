"""Speaking events from what the page hears, around say_text, an LLM-style turn, say_audio, interrupt."""

import base64

from sdk_support import prelude

SPEAKING = ["speakingStart", "speakingEnd"]


def speech_of(py, session_id, turn_id):
    return [s for s in py.emulator.session(session_id)["speech"] if s["turn_id"] == turn_id]


def test_speaking_events_follow_the_avatar_speech(py, make_mp3):
    prelude(py)
    session_id = py.run("""
        session = new_session()
        await session.create_session("avatar-123", "voice-456", "avatar-container")
        def speaking_events():
            return [[n, t] for n, _, t in events if n in ("speakingStart", "speakingEnd")]
        session.get_session_id()
    """)

    # 1. say_text with pauses between words and sentences: exactly one start/end pair.
    turn = py.run("""
        turn = await session.say_text("Hello there, this is the avatar speaking. It pauses, now and then, between words.")
        await until(lambda: len(speaking_events()) == 2, timeout=20)
        await asyncio.sleep(1.2)  # no late flapping either
        turn
    """)
    (record,) = speech_of(py, session_id, turn)
    (start, t_start), (end, t_end) = py.run("speaking_events()")
    assert (start, end) == tuple(SPEAKING)
    start_latency = t_start - record["start"] * 1000
    end_latency = t_end - record["end"] * 1000
    print(f"speakingStart {start_latency:.0f} ms after the emulator began sending speech; "
          f"speakingEnd {end_latency:.0f} ms after it stopped")
    assert 0 < start_latency < 600  # the audio itself reaches the page ~100-200 ms after it is sent
    assert 0 < end_latency < 1400

    # 2. An LLM-style answer in chunks of one turn: one pair too.
    py.run("""
        events.clear()
        llm_turn = f"turn-{int(time.time() * 1000)}-llm"
        for chunk, final in (("Sure, ", False), ("here is the answer ", False), ("you asked for.", True)):
            await session.say_text(chunk, llm_turn, final)
        await until(lambda: len(speaking_events()) == 2, timeout=20)
        await asyncio.sleep(1.2)
    """)
    assert [n for n, _ in py.run("speaking_events()")] == SPEAKING
    assert speech_of(py, session_id, py.run("llm_turn"))

    # 3. say_audio with an MP3 made here: a JS File (duration from WebAudio, as in the seed), then bytes.
    mp3 = base64.b64encode(make_mp3(1.5)).decode()
    py.run(f"""
        import base64
        from pyodide.ffi import to_js
        events.clear()
        mp3 = base64.b64decode("{mp3}")
        file = js.File.new(to_js([to_js(mp3)]), "speech.mp3",
                           to_js({{"type": "audio/mpeg"}}, dict_converter=js.Object.fromEntries))
        ctx = js.AudioContext.new()
        decoded = await ctx.decodeAudioData(await file.arrayBuffer())
        duration = decoded.duration
        await ctx.close()
        await session.say_audio(file, "turn-audio-file", duration)
        await until(lambda: len(speaking_events()) == 2, timeout=20)
        await session.say_audio(mp3, "turn-audio-bytes", duration)
        await until(lambda: len(speaking_events()) == 4, timeout=20)
    """)
    assert [n for n, _ in py.run("speaking_events()")] == SPEAKING * 2
    assert 1.4 < py.run("duration") < 1.7
    for turn_id in ("turn-audio-file", "turn-audio-bytes"):
        (record,) = speech_of(py, session_id, turn_id)
        assert 1.2 < record["end"] - record["start"] < 2.5

    # 4. interrupt ends the speech early, and speakingEnd comes at once.
    py.run("""
        events.clear()
        long_turn = await session.say_text(" ".join(["This sentence keeps the avatar busy for a while."] * 6))
        await until(lambda: len(speaking_events()) == 1, timeout=20)
        await asyncio.sleep(1.0)
        asked = time.time() * 1000
        await session.interrupt()
        interrupted_after = time.time() * 1000 - asked
        await asyncio.sleep(1.5)
    """)
    (_, t_start), (end, t_end) = py.run("speaking_events()")
    assert end == "speakingEnd" and t_end - py.run("asked") < py.run("interrupted_after") + 50
    (record,) = speech_of(py, session_id, py.run("long_turn"))
    assert record["end"] is not None and record["end"] - record["start"] < 3.5  # the full text is ~15 s
    py.run("await session.end_session()")
