"""get_stats(): ConnectionStats from the browser's readings, bitrates over a window (kaltura_avatar.stats)."""

import asyncio

import pytest

from fakes import FAST, KS, hang, make_world
from kaltura_avatar import KalturaAvatarSession
from kaltura_avatar.ports import MediaStats
from kaltura_avatar.stats import Bitrates, ConnectionStats, connection_stats


def reading(t_ms, video, audio=0):
    return MediaStats(timestamp_ms=t_ms, video_bytes=video, audio_bytes=audio)


def test_bitrates_over_the_window_of_readings():
    window = Bitrates(window_s=1.0)
    assert window.bps() == (None, None)
    window.add(reading(0, 0))
    assert window.bps() == (None, None)  # one reading: no rate yet
    for t in range(100, 3001, 100):  # 100 kB/s of video, 4 kB/s of audio, then 10x the video
        video = t * 100 if t <= 2000 else 200_000 + (t - 2000) * 1000
        window.add(reading(t, video, t * 4))
    assert window.bps() == (8_000_000, 32_000)  # only the last second counts
    window.add(reading(3000, 0, 0))  # the same timestamp again: the browser's cached reading, ignored
    assert window.bps() == (8_000_000, 32_000)


def test_counters_going_back_start_a_new_window():
    window = Bitrates()
    window.add(reading(0, 0))
    window.add(reading(1000, 100_000))
    window.add(reading(1100, 500))  # a new peer connection: its counters start again
    assert window.bps() == (None, None)
    window.add(reading(2100, 125_500))
    assert window.bps() == (1_000_000, 0)


def test_readings_without_counters_are_skipped():
    window = Bitrates()
    window.add(MediaStats(frames_decoded=3))
    window.add(MediaStats(timestamp_ms=5))
    assert window.bps() == (None, None)


def test_connection_stats_in_milliseconds():
    raw = MediaStats(frames_decoded=250, timestamp_ms=0, frames_per_second=25.0, frames_dropped=2, video_bytes=0,
                     audio_bytes=0, packets_lost=1, jitter_s=0.0042, round_trip_time_s=0.0011, candidate_type="host")
    stats = connection_stats(raw, Bitrates(), 0.4567)
    assert stats == ConnectionStats(time_to_first_frame_ms=456.7, frames_per_second=25.0, frames_decoded=250,
                                    frames_dropped=2, packets_lost=1, jitter_ms=4.2, round_trip_time_ms=1.1,
                                    candidate_type="host")


# --- in a session ---------------------------------------------------------------------

@pytest.fixture
def world():
    world = make_world()
    t0 = 1_000_000.0

    def more(peer):  # 50 kB of video and 5 kB of audio per 100 ms reading
        return {"timestamp_ms": t0 + peer.frames * 100, "video_bytes": peer.frames * 50_000,
                "audio_bytes": peer.frames * 5_000, "frames_per_second": 25.0, "frames_dropped": 0,
                "packets_lost": 0, "jitter_s": 0.002, "round_trip_time_s": 0.001, "candidate_type": "relay"}

    world.peers.more_stats = more
    return world


async def test_get_stats_of_a_live_session(world):
    session = KalturaAvatarSession(KS, FAST, platform=world.platform)
    await session.create_session("avatar-123", None, "avatar-container")
    first = await session.get_stats()
    second = await session.get_stats()
    assert second.frames_decoded > first.frames_decoded > 0
    assert (second.video_bitrate_bps, second.audio_bitrate_bps) == (4_000_000, 400_000)
    assert second.frames_per_second == 25.0 and second.candidate_type == "relay"
    assert second.jitter_ms == 2.0 and second.round_trip_time_ms == 1.0 and second.packets_lost == 0
    assert second.time_to_first_frame_ms is not None and second.time_to_first_frame_ms > 0
    await session.end_session()
    after = await session.get_stats()
    assert after.frames_decoded is None and after.video_bitrate_bps is None
    assert after.time_to_first_frame_ms == second.time_to_first_frame_ms  # still said, for the report


async def test_get_stats_before_any_connection_is_all_unknown(world):
    session = KalturaAvatarSession(KS, FAST, platform=world.platform)
    assert await session.get_stats() == ConnectionStats()
    world.http.queue("init-client", hang())
    starting = asyncio.ensure_future(session.create_session("avatar-123"))
    try:
        await asyncio.sleep(0.05)
        assert session.get_session_state() == "CREATING"
        assert await session.get_stats() == ConnectionStats()
    finally:
        await session.end_session()
        await asyncio.gather(starting, return_exceptions=True)
