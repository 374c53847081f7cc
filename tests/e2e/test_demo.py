"""The demo page driven as a user would: clicking and typing, against the emulator.

The module boots the page once (Pyodide costs seconds); each test walks a whole story through it
and leaves it with no session. The page between its happy paths: test_demo_feedback.py.
"""

from __future__ import annotations

import re

import numpy as np

from demo_support import (SPEECH_TIMEOUT_MS, assert_in_order, banner, demo, log_entries, pixels,  # noqa: F401
                          requests_to, wait_log_count, wait_state)

XSS = 'Hi <img src=x onerror="window.__xss = 1"> there, I render text, not HTML.'
PARAGRAPH = (
    "Streaming works like a language model answer: the words arrive in small chunks, "
    "one turn, and the avatar starts talking before the last chunk has even been sent."
)


def mouth(image: np.ndarray) -> np.ndarray:
    """The emulator draws the mouth around (0.5, 0.62) of its square frame."""
    h, w, _ = image.shape
    return image[int(h * 0.55):int(h * 0.72), int(w * 0.38):int(w * 0.62)]


def caption_pixels(image: np.ndarray) -> int:
    """Near-white pixels in the band where the browser draws captions (the avatar has none there)."""
    h = image.shape[0]
    band = image[int(h * 0.78):int(h * 0.98)]
    return int((band.min(axis=2) > 215).sum())


def enabled(page, selector: str) -> bool:
    return page.is_enabled(selector)


# --- the stories ------------------------------------------------------------------------

def test_sdk_creates_the_session_then_text_stream_mp3_interrupt_end(demo, emulator, make_mp3):
    page = demo.page

    # The pickers come from the emulator's catalog; only Connect makes sense before a session.
    page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")
    avatars = page.eval_on_selector_all("#avatar-select option", "os => os.map(o => o.value)")
    voices = page.eval_on_selector_all("#voice-select option", "os => os.map(o => o.value)")
    assert "avatar-123" in avatars and len(avatars) > 1 and "voice-456" in voices
    assert page.input_value("#avatar-select") == "avatar-123"
    assert page.input_value("#base-url") == emulator.api_base
    assert enabled(page, "#connect-button")
    for button in ("#say-button", "#audio-button", "#interrupt-button", "#end-button"):
        assert not enabled(page, button), button

    # Connect with the keyboard: focus the button, press Enter.
    page.focus("#connect-button")
    page.keyboard.press("Enter")
    wait_state(page, "READY")
    assert page.inner_text("#state-value") == "READY"
    assert page.inner_text("#connection-value") == "CONNECTED"
    session_id = page.inner_text("#session-id")
    assert re.fullmatch(r"[\w-]{6,}", session_id)
    assert page.locator("#avatar-video video").count() == 1
    assert not enabled(page, "#connect-button") and enabled(page, "#end-button")
    assert not enabled(page, "#interrupt-button")  # nothing to interrupt yet

    # The video shows the avatar: not a blank frame; the live stats line under it.
    page.wait_for_function("document.querySelector('#avatar-video video').currentTime > 0.3")
    still = pixels(page.locator("#avatar-video").screenshot())
    assert still.std() > 20, "the video area is blank"
    assert caption_pixels(still) < 20, "nothing drawn where captions go before anything is said"
    page.wait_for_function("/\\d+\\sfps · video\\s\\d+\\skbit\\/s/.test(document.querySelector('#stats-line').textContent)")

    # Say text containing HTML: it is spoken and shown as text, and nothing runs.
    page.fill("#speak-text", XSS)
    page.click("#say-button")
    wait_log_count(page, "speakingStart", 1)
    assert page.locator("#speaking[data-speaking=true]").count() == 1
    assert enabled(page, "#interrupt-button")
    # Captions: what is said, as the cue of the video's own captions track, drawn over the video
    # (as text: the markup in it is shown, not parsed); the toggle hides and shows them.
    page.wait_for_function("""(said) => [...document.querySelector('#avatar-video video').textTracks]
        .some((t) => t.kind === 'captions' && t.mode === 'showing'
              && [...(t.activeCues || [])].some((c) => c.getCueAsHTML().textContent === said))""", arg=XSS)
    shown = caption_pixels(pixels(page.locator("#avatar-video").screenshot()))
    page.uncheck("#captions-toggle")
    hidden = caption_pixels(pixels(page.locator("#avatar-video").screenshot()))
    page.check("#captions-toggle")
    assert shown > 200 and hidden < 20, (shown, hidden)
    mouths, change = [], 0.0
    for _ in range(25):  # up to ~3 s of the utterance; stop at the first clear movement
        mouths.append(mouth(pixels(page.locator("#avatar-video").screenshot())))
        change = max(np.abs(mouths[-1] - m).mean() for m in mouths)
        if change > 3:
            break
        page.wait_for_timeout(100)
    assert change > 3, f"the mouth did not move while speaking ({len(mouths)} frames, max change {change:.2f})"
    wait_log_count(page, "speakingEnd", 1)
    said = [text for kind, text in log_entries(page) if kind == "sayText"]
    assert said == [XSS]
    assert page.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert not any(u.rstrip("/").endswith("/x") for u in demo.requests)
    assert requests_to(emulator, "/say-text")[-1]["body"]["text"] == XSS

    # Stream a paragraph like an LLM: chunks of one turn, isFinal only on the last.
    page.check("#stream-mode")
    page.fill("#speak-text", PARAGRAPH)
    page.click("#say-button")
    wait_log_count(page, "chunk", 2)
    assert not enabled(page, "#say-button")  # one stream at a time
    page.wait_for_selector("#event-log li[data-kind=chunk] >> text=final", timeout=SPEECH_TIMEOUT_MS)
    chunks = [r["body"] for r in requests_to(emulator, "/say-text")][1:]
    assert len(chunks) >= 5
    assert {c["turnId"] for c in chunks} == {chunks[0]["turnId"]}
    assert [c["isFinal"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert "".join(c["text"] for c in chunks) == PARAGRAPH
    times = [r["t"] for r in requests_to(emulator, "/say-text")][1:]
    assert times[-1] - times[0] > 0.1 * (len(chunks) - 1), "the chunks were not timed"

    # Interrupt while it speaks: speech stops at once.
    wait_log_count(page, "speakingStart", 2)
    page.click("#interrupt-button")
    wait_log_count(page, "speakingEnd", 2, timeout=3_000)
    assert requests_to(emulator, "/interrupt")
    page.wait_for_function("document.querySelector('#interrupt-button').disabled")

    # Upload an MP3 made here, straight after the interrupt: the page measures its duration
    # itself, then the avatar speaks it (and its speech is detected, interrupted tail or not).
    page.uncheck("#stream-mode")
    page.set_input_files("#audio-file", files=[{"name": "tone.mp3", "mimeType": "audio/mpeg", "buffer": make_mp3(2.0)}])
    page.wait_for_function("/\\d+\\.\\d\\d s/.test(document.querySelector('#audio-status').textContent)")
    measured = float(page.inner_text("#audio-status").split()[0])
    assert 1.9 <= measured <= 2.2
    page.click("#audio-button")
    wait_log_count(page, "speakingStart", 3)
    wait_log_count(page, "speakingEnd", 3)
    upload = requests_to(emulator, "/say-audio")[-1]["body"]
    assert abs(float(upload["duration"]) - measured) < 0.01, upload

    # End: the session goes, the video goes, Connect is back.
    page.click("#end-button")
    wait_state(page, "ENDED")
    assert page.inner_text("#connection-value") == "CLOSED"
    assert page.locator("#avatar-video video").count() == 0
    assert enabled(page, "#connect-button") and not enabled(page, "#end-button")
    assert page.inner_text("#session-id") == "none" and page.is_hidden("#stats-line")
    assert requests_to(emulator, f"/{session_id}/end")
    assert page.locator("#error-banner").is_hidden()

    # The event log told the story, in order, with timestamps.
    entries = log_entries(page)
    assert_in_order(entries, [
        ("createSession", None), ("stateChange", "CREATING"), ("connectionChange", "CONNECTING"),
        ("connectionChange", "CONNECTED"), ("stateChange", "READY"),
        ("sayText", XSS), ("speakingStart", None), ("speakingEnd", None),
        ("stream", None), ("chunk", None), ("speakingStart", None), ("interrupt", None), ("speakingEnd", None),
        ("sayAudio", None), ("speakingStart", None), ("speakingEnd", None),
        ("endSession", None), ("connectionChange", "CLOSED"), ("stateChange", "ENDED"),
    ])
    stamps = page.eval_on_selector_all("#event-log li time", "ts => ts.map(t => t.textContent)")
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", s) for s in stamps)
    assert not [kind for kind, _ in entries if kind == "error"]


def test_errors_show_in_the_banner_then_my_backend_creates_the_session(demo, emulator):
    page = demo.page
    page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")
    page.click("#clear-log")  # this story's events only

    # No KS: the page says what to do, and the banner goes once one is typed.
    creates = len(requests_to(emulator, "/create"))
    page.fill("#ks", "")
    page.click("#connect-button")
    assert banner(page) == ("INVALID_CONFIGURATION", "Enter a Kaltura Session (KS) to connect, or choose “My backend”.")
    assert len(requests_to(emulator, "/create")) == creates
    page.type("#ks", "forbidden-ks")
    assert page.locator("#error-banner").is_hidden()

    # A KS the backend refuses: the banner says so in words, with the code; Connect stays usable.
    demo.allow_console_error(r"status of 403")
    page.click("#connect-button")
    code, message = banner(page)
    assert code == "UNAUTHORIZED" and "refused the Kaltura Session (KS)" in message and "Check that your" in message
    assert "forbidden-ks" not in page.inner_text("body")  # the KS is never shown
    wait_state(page, "ERROR")
    page.click("#error-dismiss")
    assert page.locator("#error-banner").is_hidden()
    # That KS could not read the catalog either: the pickers fell back to the default ids.
    page.wait_for_selector("#connect-form[data-catalog=defaults]", state="attached")
    assert page.eval_on_selector_all("#avatar-select option", "os => os.map(o => o.value)") == ["avatar-123"]
    page.fill("#ks", "your-kaltura-session")
    page.press("#ks", "Tab")
    page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")

    # "My backend creates it": the page asks /api/create-avatar-session, then init_session.
    page.check("#mode-backend")
    assert page.locator("#ks").is_hidden()
    assert page.input_value("#session-endpoint") == emulator.url + "/api/create-avatar-session"
    page.select_option("#avatar-select", "avatar-max")
    page.click("#connect-button")
    wait_state(page, "READY")
    assert page.locator("#error-banner").is_hidden()
    asked = [r for r in emulator.requests() if r["path"] == "/api/create-avatar-session"]
    assert asked and asked[-1]["body"]["avatarId"] == "avatar-max"
    session_id = page.inner_text("#session-id")
    assert requests_to(emulator, f"/{session_id}/init-client")
    creates = requests_to(emulator, "/avatar-session/create")
    assert all(r["t"] < asked[-1]["t"] for r in creates)  # only the refused attempt: init_session now

    # Ctrl+Enter in the text box says it.
    page.fill("#speak-text", "Hello from a backend-created session.")
    page.focus("#speak-text")
    page.keyboard.press("Control+Enter")
    wait_log_count(page, "speakingStart", 1)
    page.click("#end-button")
    wait_state(page, "ENDED")
    assert_in_order(log_entries(page), [
        ("error", None), ("backend", None), ("initSession", None), ("stateChange", "READY"),
        ("sayText", None), ("speakingStart", None), ("endSession", None), ("stateChange", "ENDED"),
    ])
