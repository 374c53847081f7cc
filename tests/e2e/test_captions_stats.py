"""Captions and connection stats in Chromium: cues on the video's own text track for the turns the
avatar is heard saying, in order; get_stats() against the emulator's own counters; both through
the JS facade too. One harness page (one Pyodide load) for the Python cases."""

from __future__ import annotations

import base64
import shutil

import pytest

from conftest import GuardedPage, open_harness
from sdk_support import prelude

SAID = "Hello there."
STREAMED = ["Streamed, ", "chunk by chunk."]

CUES = """
    def cues():
        video = js.document.querySelector("#avatar-container video")
        tracks = video.textTracks
        out = []
        for i in range(tracks.length):
            track = tracks[i]
            cues = track.cues
            out.append({"kind": track.kind, "label": track.label, "mode": track.mode,
                        "cues": [[cues[j].id, cues[j].text, float(cues[j].startTime), float(cues[j].endTime)]
                                 for j in range(cues.length)]})
        return out

    async def heard(n, timeout=20):
        await until(lambda: len(names("speakingEnd")) >= n, timeout=timeout)

    async def until_async(read, ok, timeout=10.0):  # the first value of await read() that is ok
        deadline = time.monotonic() + timeout
        while not ok(value := await read()):
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.1)
        return value
"""


@pytest.fixture(scope="module")
def page(shared_context, emulator_process):
    """One harness page for the module's Python cases (each case resets the emulator)."""
    guard = GuardedPage(shared_context.new_page())
    py = open_harness(guard, emulator_process)
    prelude(py)
    py.run(CUES)
    yield py
    guard.page.close()
    guard.check()


def test_captions_are_cues_on_the_videos_text_track_in_the_order_spoken(page, emulator, make_mp3):
    py = page
    clip = base64.b64encode(make_mp3(0.5)).decode()
    py.run(f"""
        events.clear()
        session = new_session()
        await session.create_session("avatar-123", "voice-456", "avatar-container")
        said = [await session.say_text({SAID!r})]  # each turn once the one before was heard to its end
        await heard(1)
        import base64
        clip = js.Blob.new([js.Uint8Array.new(list(base64.b64decode({clip!r})))])
        await session.say_audio(clip, "clip-with-text", 0.5, text="A tone, with its text.")
        said.append("clip-with-text")
        await heard(2)
        await session.say_audio(clip, "clip-silent", 0.5)  # no text: no caption
        await heard(3)
        streamed = new_turn_id()
        for i, chunk in enumerate({STREAMED!r}):
            await session.say_text(chunk, streamed, i == {len(STREAMED) - 1})
            await asyncio.sleep(0.15)
        said.append(streamed)
        await heard(4)
    """)
    (track,) = py.run("cues()")
    assert (track["kind"], track["label"], track["mode"]) == ("captions", "Avatar", "showing")
    texts = [SAID, "A tone, with its text.", "".join(STREAMED)]
    assert [[cue_id, text] for cue_id, text, _, _ in track["cues"]] == [list(x) for x in zip(py.run("said"), texts)]
    times = [(start, end) for _, _, start, end in track["cues"]]
    assert all(start < end for start, end in times), times  # each cue shown while it was heard, then ended
    assert all(a[1] <= b[0] for a, b in zip(times, times[1:])), times  # one after the other

    # The same order as the emulator played the turns (its own speech records).
    session_id = py.run("session.get_session_id()")
    played = [s["turn_id"] for s in emulator.session(session_id)["speech"]]
    assert [t for t in played if t != "clip-silent"] == py.run("said")
    py.run("await session.end_session()")
    assert py.run("video_dom()") == []


def test_caption_events_carry_the_turn_as_it_streams_in(page, emulator):
    py = page
    got = py.run("""
        got = []
        session = new_session()
        session.on("caption", lambda c: got.append([c.turn_id, c.text, c.is_final]))
        await session.create_session("avatar-123", "voice-456", "avatar-container")
        turn = new_turn_id()
        await session.say_text("One moment, ", turn, False)
        await until(lambda: got, timeout=15)
        await session.say_text("I am thinking ", turn, False)
        await asyncio.sleep(0.3)
        await session.say_text("about it.", turn, True)
        await until(lambda: got[-1][2], timeout=15)
        await session.end_session()
        got
    """)
    turn = got[0][0]
    assert {g[0] for g in got} == {turn}
    assert got[0] == [turn, "One moment, ", False]
    assert got[-1] == [turn, "One moment, I am thinking about it.", True]
    assert [g[1] for g in got] == sorted((g[1] for g in got), key=len)  # it only grows


def test_captions_off_in_config_make_no_track_and_no_events(page, emulator):
    py = page
    result = py.run("""
        events.clear()
        session = new_session(captions=False)
        await session.create_session("avatar-123", "voice-456", "avatar-container")
        await session.say_text("No captions for this one.")
        await heard(1)
        result = [cues(), names("caption")]
        await session.end_session()
        result
    """)
    assert result == [[], []]


def test_get_stats_against_the_emulators_counters(page, emulator):
    py = page
    started_s = py.run("""
        session = new_session()
        t0 = time.monotonic()
        await session.create_session("avatar-123", "voice-456", "avatar-container")
        time.monotonic() - t0
    """)
    session_id = py.run("session.get_session_id()")
    sent0 = emulator.call("GET", f"/__test__/sessions/{session_id}/media")
    frames0 = emulator.session(session_id)["frames_sent"]
    py.run("""
        async def decoded():
            return (await session.get_stats()).frames_decoded or 0  # getStats may lag READY by ~50 ms
        target = await decoded() + 50
        await until_async(decoded, lambda n: n >= target)  # two seconds of video at 25 fps
        stats = await session.get_stats()
    """)
    sent1 = emulator.call("GET", f"/__test__/sessions/{session_id}/media")
    frames1 = emulator.session(session_id)["frames_sent"]
    stats = py.run("import dataclasses\ndataclasses.asdict(stats)")
    local_type = py.run("""
        report = {s.id: s for s in (await last_peer().getStats()).values()}
        pair = report[next(s for s in report.values() if s.type == "transport").selectedCandidatePairId]
        report[pair.localCandidateId].candidateType
    """)
    py.run("await session.end_session()")

    seconds = sent1["t"] - sent0["t"]
    video_bps = (sent1["video"]["bytes_sent"] - sent0["video"]["bytes_sent"]) * 8 / seconds
    audio_bps = (sent1["audio"]["bytes_sent"] - sent0["audio"]["bytes_sent"]) * 8 / seconds
    sent_fps = (frames1 - frames0) / seconds
    print(f"SDK: {stats}; emulator: video {video_bps:.0f} bps, audio {audio_bps:.0f} bps, {sent_fps:.1f} fps")
    assert 0.6 * video_bps <= stats["video_bitrate_bps"] <= 1.6 * video_bps
    assert 0.6 * audio_bps <= stats["audio_bitrate_bps"] <= 1.6 * audio_bps
    assert frames1 - 10 <= stats["frames_decoded"] <= frames1  # what was decoded was sent, little in flight
    assert 0.6 * sent_fps <= stats["frames_per_second"] <= 1.4 * sent_fps
    assert stats["frames_dropped"] >= 0 and stats["packets_lost"] >= 0 and stats["jitter_ms"] >= 0
    assert stats["candidate_type"] == local_type and local_type in ("host", "prflx")  # loopback: a direct path
    assert 0 <= stats["round_trip_time_ms"] < 1000
    assert 0 < stats["time_to_first_frame_ms"] <= started_s * 1000


@pytest.fixture(scope="module")
def relay_emulator(start_another_emulator):
    assert shutil.which("turnserver"), "coturn is part of the test setup (scripts/system-deps.sh)"
    return start_another_emulator("--turn")


def test_stats_say_relay_when_the_media_comes_through_turn(page, relay_emulator):
    py = page
    prelude(py, relay_emulator.api_base)  # cross-origin: the page is served by the other emulator
    py.run(CUES)
    stats = py.run("""
        session = new_session(iceTransportPolicy="relay")
        await session.create_session("avatar-123", None, "avatar-container")
        stats = await until_async(session.get_stats, lambda s: (s.frames_decoded or 0) > 0)  # getStats lags ~50 ms
        await session.end_session()
        [stats.candidate_type, stats.frames_decoded]
    """)
    assert stats[0] == "relay" and stats[1] > 0


def test_the_js_facade_gives_caption_events_and_get_stats(guarded_page, emulator, make_mp3):
    page = guarded_page.page
    page.goto(emulator.url + "/e2e/facade.html")
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
    mp3 = base64.b64encode(make_mp3(0.5)).decode()
    result = page.evaluate(
        """async ([baseUrl, mp3]) => {
          const { KalturaAvatarSession } = window.avatarSdk;
          const session = new KalturaAvatarSession('your-kaltura-session', { baseUrl });
          const captions = [];
          session.on('caption', (c) => captions.push(c));
          await session.createSession({ avatarId: 'avatar-123', videoContainerId: 'avatar-container' });
          const ended = () => new Promise((resolve) => session.once('speakingEnd', resolve));
          let heard = ended();
          const turnId = await session.sayText('Hello from the facade.');
          await heard;
          heard = ended();
          const blob = new Blob([Uint8Array.from(atob(mp3), (c) => c.charCodeAt(0))], { type: 'audio/mpeg' });
          await session.sayAudio(blob, 'clip', 0.5, 'The clip, captioned.');
          await heard;
          const stats = await session.getStats();
          const cues = [...document.querySelector('#avatar-container video').textTracks[0].cues].map((c) => [c.id, c.text]);
          await session.endSession();
          return { turnId, captions, stats, cues };
        }""",
        [emulator.api_base, mp3],
    )
    assert result["captions"][0] == {"turnId": result["turnId"], "text": "Hello from the facade.", "isFinal": True}
    assert result["captions"][-1] == {"turnId": "clip", "text": "The clip, captioned.", "isFinal": True}
    assert result["cues"] == [[result["turnId"], "Hello from the facade."], ["clip", "The clip, captioned."]]
    stats = result["stats"]
    assert stats["framesDecoded"] > 0 and stats["timeToFirstFrameMs"] > 0 and stats["candidateType"]
    assert set(stats) == {"timeToFirstFrameMs", "framesPerSecond", "framesDecoded", "framesDropped",
                          "videoBitrateBps", "audioBitrateBps", "packetsLost", "jitterMs", "roundTripTimeMs",
                          "candidateType"}
