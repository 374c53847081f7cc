"""The demo's pure-Python helpers (static/demo/), on CPython: no browser needed.

They live beside the page, not in the SDK, so they are tested here with the demo's other tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "static"))

from demo import backend, catalog, settings, streaming  # noqa: E402


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
