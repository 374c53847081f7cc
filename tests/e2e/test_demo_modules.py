"""The demo's pure-Python helpers (static/demo/), on CPython: no browser needed.

They live beside the page, not in the SDK, so they are tested here with the demo's other tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "static"))

from demo import backend, catalog, settings, streaming, words  # noqa: E402


def test_settings_derive_every_url_from_the_backend_and_let_the_query_override():
    s = settings.resolve({}, {}, "http://127.0.0.1:8000")
    assert (s.base_url, s.session_endpoint, s.catalog_url) == (
        "http://127.0.0.1:8000/v1/avatar-session",
        "http://127.0.0.1:8000/api/create-avatar-session",
        "http://127.0.0.1:8000/v1/catalog-item/list",
    )
    assert (s.ks, s.mode, s.log_level) == ("your-kaltura-session", "sdk", "info")

    s = settings.resolve({"backend": "http://emu:9000/", "mode": "backend"}, {"logLevel": "debug"}, "http://page")
    assert s.base_url == "http://emu:9000/v1/avatar-session" and s.mode == "backend" and s.log_level == "debug"

    live = "https://api.avatar.us.kaltura.ai/v1/avatar-session"
    s = settings.resolve({"backend": "http://emu:9000"}, {"baseUrl": live, "ks": "not-from-the-url", "mode": "bogus"}, "https://api.avatar.us.kaltura.ai")
    assert s.base_url == live and s.catalog_url == "https://api.avatar.us.kaltura.ai/v1/catalog-item/list"
    assert s.ks == "your-kaltura-session"  # a KS never comes from the address bar
    assert s.mode == "sdk" and s.session_endpoint == "http://emu:9000/api/create-avatar-session"


@pytest.mark.parametrize("text", ["One two three four five six seven.", "  lead\nand  gaps\t end ", "word"])
def test_stream_chunks_join_back_to_the_text(text):
    parts = streaming.chunks(text, 2)
    assert "".join(parts) == text
    assert all(p.strip() for p in parts)


def test_stream_chunks_of_nothing():
    assert streaming.chunks("   ") == []


def test_catalog_answer_parsing_skips_junk():
    body = {"objects": [
        {"itemId": "avatar-123", "type": "Visual", "attributes": {"visual": {"name": "Ava"}}},
        {"itemId": "voice-456", "type": "Voice", "attributes": {"voice": {"name": "Emma"}}},
        {"itemId": "", "type": "Visual"}, {"type": "Visual"}, "junk",
        {"itemId": "avatar-x", "type": "Visual", "attributes": {"visual": {"name": 3}}},
    ]}
    assert catalog.parse(body, "Visual") == [catalog.Item("avatar-123", "Ava"), catalog.Item("avatar-x", "")]
    assert [i.label for i in catalog.parse(body, "Voice")] == ["Emma (voice-456)"]
    assert catalog.parse({}, "Voice") == []


def test_backend_answer_must_hold_a_session():
    assert backend.credentials({"sessionId": "s1", "token": "t"}) == ("s1", "t")
    for bad in (None, [], {"sessionId": "s1"}, {"sessionId": "", "token": "t"}, {"sessionId": 1, "token": "t"}):
        with pytest.raises(backend.BackendError):
            backend.credentials(bad)


def test_the_connect_button_says_what_it_will_do():
    assert [words.connect_label(state, None) for state in ("IDLE", "CREATING", "READY", "ENDED", "ERROR")] == \
        ["Connect", "Creating the session…", "Connected", "Connect again", "Try again"]
    assert words.connect_label("ENDED", "backend") == "Asking your backend for a session…"
    assert words.connect_label("CREATING", "connecting") == "Connecting the video…"
    assert words.connect_label("READY", "reconnecting") == "Connected"  # the video box says it
    assert [words.end_label(s) for s in ("CREATING", "READY")] == ["Cancel", "End session"]


def test_long_text_is_cut_and_said_so():
    assert words.fit("short") == ("short", None)
    text, note = words.fit("x" * 7214)
    assert len(text) == 5000 and note == "The text was cut to 5,000 characters (it had 7,214)."
    assert words.text_note("x" * 10, None) == "" and words.text_note("x" * 4600, None) == "4,600 / 5,000 characters"
    assert words.preview("short") is None
    assert words.preview("word " * 100).endswith("… (500 characters)") and len(words.preview("word " * 100)) < 150


def test_the_stats_line_says_what_is_known():
    from kaltura_avatar.stats import ConnectionStats

    assert words.stats_line(ConnectionStats()) == ""
    stats = ConnectionStats(time_to_first_frame_ms=412.0, frames_per_second=25.0, frames_decoded=900, frames_dropped=0,
                            video_bitrate_bps=180_751, audio_bitrate_bps=1_209, packets_lost=0, jitter_ms=3.0,
                            round_trip_time_ms=1.0, candidate_type="relay")
    assert words.stats_line(stats).replace("\u00a0", " ") == ("25 fps · video 181 kbit/s · audio 1 kbit/s · RTT 1 ms · jitter 3 ms · 0 lost"
                                       " · via TURN relay · first frame 0.41 s")


def test_backend_failures_in_words_without_html():
    err = backend.refused(502, {"error": "<html><body>Bad Gateway</body></html>"})
    assert str(err) == "Your backend did not create a session (HTTP 502). Check its log, then try again."
    err = backend.refused(429, {"error": "Too many concurrent sessions"})
    assert "(HTTP 429: Too many concurrent sessions)" in str(err)
    assert "HTTP 500" in str(backend.refused(500, None))
