"""The demo between its happy paths, driven as a person would: a slow network (the emulator's hang
fault), ending while connecting, the emulator stopped, a server's HTML error page, a wrong file,
a long paste, a narrow phone screen, a Python package that fails to download. What is checked is
what the page shows.

One page for the module (Pyodide boots once); each case leaves it with no session.
"""

from __future__ import annotations

import io
import wave


import socket

from demo_support import (CONNECT_TIMEOUT_MS, banner, demo, log_entries, open_demo, requests_to, text_is,  # noqa: F401
                          wait_log_count, wait_state)

HTML_PAGE = "<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


def wav(seconds: float = 0.5, rate: int = 44100) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x10" * int(seconds * rate))
    return out.getvalue()


def test_before_connecting_the_page_says_what_to_expect(demo):
    page = demo.page
    assert page.is_visible("#log-empty") and page.locator("#event-log li").count() == 0
    assert page.is_visible("#ks-hint") and "accepts any KS" in page.inner_text("#ks-hint")  # a local emulator
    assert page.inner_text("#connect-button") == "Connect" and page.inner_text("#session-id") == "none"


def test_a_slow_connect_shows_each_step_over_the_video_and_on_the_button(demo, emulator):
    page = demo.page
    emulator.fault("create", hang=1.0)
    emulator.fault("whep-post", hang=1.0)
    page.click("#connect-button")
    text_is(page, "#video-step", "Creating the session…")
    assert page.inner_text("#connect-button") == "Creating the session…" and page.is_disabled("#connect-button")
    page.wait_for_function("parseFloat(document.querySelector('#video-elapsed').textContent) >= 0.5")
    # The form is locked while a session exists, and says how to unlock it.
    assert page.is_disabled("#base-url") and page.is_disabled("#ks") and page.is_disabled("#mode-backend")
    assert page.inner_text("#connect-hint") == "Cancel to change these settings."
    assert page.inner_text("#end-button") == "Cancel" and page.is_enabled("#end-button")
    text_is(page, "#video-step", "Connecting the video…")
    assert page.inner_text("#connect-button") == "Connecting the video…"
    assert page.is_visible("#video-status") and page.is_hidden("#video-placeholder")
    wait_state(page, "READY")
    assert page.is_hidden("#video-status") and page.inner_text("#connect-button") == "Connected"
    assert page.inner_text("#connect-hint") == "End the session to change these settings."
    assert page.is_disabled("#avatar-select") and page.inner_text("#end-button") == "End session"
    # The live stats line, under the video; the first frame came after both hangs.
    page.wait_for_function("/\\d+\\sfps/.test(document.querySelector('#stats-line').textContent)")
    first_frame = float(page.inner_text("#stats-line").replace("\xa0", " ").split("first frame ")[1].split()[0])
    assert first_frame >= 2.0

    # The media lost: the video box says the SDK is getting it back, then the video is back.
    session_id = page.inner_text("#session-id")
    demo.allow_console_error(r"status of 404")  # the lost WHEP resource is gone: its DELETE answers 404
    emulator.drop_media(session_id)
    text_is(page, "#video-step", "Reconnecting the video…")
    page.wait_for_selector("#video-status", state="hidden", timeout=CONNECT_TIMEOUT_MS)
    assert page.inner_text("#connection-value") == "CONNECTED" and emulator.session(session_id)["viewers"] == 1

    # Blank text cannot be said; the session id goes with the session.
    page.fill("#speak-text", "   ")
    assert page.is_disabled("#say-button")
    page.click("#end-button")
    wait_state(page, "ENDED")
    assert page.inner_text("#session-id") == "none" and page.is_enabled("#base-url")
    assert page.inner_text("#connect-button") == "Connect again" and page.is_hidden("#stats-line")


def test_ending_while_connecting_says_cancelled(demo, emulator):
    page = demo.page
    page.click("#clear-log")  # this story's events only
    emulator.fault("create", hang=1.5)
    page.click("#connect-button")
    text_is(page, "#video-step", "Creating the session…")
    page.click("#end-button")  # it reads "Cancel"
    wait_state(page, "ENDED")
    wait_log_count(page, "cancelled", 1)
    assert page.is_hidden("#error-banner")
    assert not [kind for kind, _ in log_entries(page)[-6:] if kind == "error"]
    assert page.inner_text("#video-placeholder") == "Cancelled. Connect to try again."
    assert page.is_enabled("#connect-button")
    # The session the server made after all (the create was hanging) is ended too.
    created = emulator.sessions()
    assert created and all(s["state"] == "ended" for s in created)


def stopped_emulator() -> str:
    """The address of an emulator that is not running: a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_the_emulator_stopped_names_the_host_and_the_banner_goes_with_its_cause(demo, emulator):
    page = demo.page
    demo.allow_console_error(r"ERR_CONNECTION_REFUSED|status of 502")
    stopped = stopped_emulator()  # a person who forgot to start it
    page.fill("#base-url", stopped + "/v1/avatar-session")
    page.click("#connect-button")
    code, message = banner(page)
    assert (code, message) == ("API_REQUEST_FAILED", f"Can't reach {stopped}. Is the emulator running?")
    wait_state(page, "ERROR")
    assert page.inner_text("#connect-button") == "Try again"

    # My backend, refused the same way.
    page.check("#mode-backend")
    page.fill("#session-endpoint", stopped + "/api/create-avatar-session")
    page.click("#connect-button")
    page.wait_for_function("document.querySelector('#error-code').textContent === 'BACKEND_REQUEST_FAILED'")
    assert page.inner_text("#error-message") == f"Can't reach your backend at {stopped}. Is the emulator running?"

    # A proxy's HTML error page from the backend: said in words, never pasted.
    page.route("**/api/create-avatar-session",
               lambda route: route.fulfill(status=502, body=HTML_PAGE, content_type="text/html"))
    page.fill("#session-endpoint", emulator.url + "/api/create-avatar-session")
    page.click("#connect-button")
    page.wait_for_function("document.querySelector('#error-message').textContent.includes('HTTP 502')")
    assert "<" not in page.inner_text("#error-banner") and "nginx" not in page.inner_text("body")
    page.unroute("**/api/create-avatar-session")

    # Its cause gone (the right address), the banner goes with the successful connect.
    page.check("#mode-sdk")
    page.fill("#base-url", emulator.api_base)
    page.click("#connect-button")
    wait_state(page, "READY")
    assert page.is_hidden("#error-banner")
    page.click("#end-button")
    wait_state(page, "ENDED")


def test_a_wrong_file_is_refused_when_picked_and_a_long_paste_is_cut_and_said(demo, emulator, make_mp3):
    page = demo.page
    page.click("#clear-log")  # this story's events only
    page.click("#connect-button")
    wait_state(page, "READY")
    cases = [
        ("speech.wav", "audio/wav", wav(), "is a WAV file"),
        ("renamed.mp3", "audio/mpeg", wav(), "is a WAV file"),  # the name lies, the bytes do not
        ("low.mp3", "audio/mpeg", make_mp3(0.5, rate=22050), "is an MP3 at 22.05 kHz"),
    ]
    for name, mime, data, words in cases:
        page.set_input_files("#audio-file", files=[{"name": name, "mimeType": mime, "buffer": data}])
        page.wait_for_selector("#audio-status[data-state=error]")
        assert words in page.inner_text("#audio-status") and "44.1 kHz" in page.inner_text("#audio-status"), name
        assert page.is_disabled("#audio-button"), name
    page.set_input_files("#audio-file", files=[{"name": "ok.mp3", "mimeType": "audio/mpeg", "buffer": make_mp3(0.5)}])
    page.wait_for_function("/^\\d+\\.\\d\\d s$/.test(document.querySelector('#audio-status').textContent)")
    assert page.is_enabled("#audio-button")
    assert requests_to(emulator, "/say-audio") == []  # nothing was uploaded for the wrong files

    # A paste longer than the box keeps: cut, and said so; its log entry short, the whole on demand.
    long_text = ("The avatar reads this sentence again. " * 200)[:7000]
    page.fill("#speak-text", long_text)
    assert len(page.input_value("#speak-text")) == 5000
    assert page.inner_text("#text-note") == "The text was cut to 5,000 characters (it had 7,000)."
    page.click("#say-button")
    wait_log_count(page, "speakingStart", 1)
    page.click("#interrupt-button")
    entry = page.locator("#event-log li[data-kind=sayText]").last
    assert entry.locator("summary").inner_text().endswith("… (5,000 characters)")
    assert len(entry.locator("summary").inner_text()) < 160 and entry.locator("span").is_hidden()
    entry.locator("summary").click()
    assert entry.locator("span").is_visible() and entry.locator("span").inner_text() == long_text[:5000]
    # Sent in pieces of one turn; Interrupt means silence: no piece goes out after it.
    wait_log_count(page, "speakingEnd", 1)
    pieces = requests_to(emulator, "/say-text")
    interrupted = requests_to(emulator, "/interrupt")[0]["t"]
    assert all(len(p["body"]["text"]) <= 1000 for p in pieces) and all(p["t"] < interrupted for p in pieces)
    sent = " ".join(p["body"]["text"] for p in pieces)
    assert long_text[:5000].startswith(sent) and len({p["body"]["turnId"] for p in pieces}) == 1
    page.click("#end-button")
    wait_state(page, "ENDED")


def test_on_a_phone_the_video_is_in_view_after_connect(demo):
    page = demo.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.evaluate("window.scrollTo(0, 0)")
        page.click("#connect-button")
        wait_state(page, "READY")
        box = page.evaluate("(() => { const r = document.querySelector('#video-frame').getBoundingClientRect();"
                            " return [r.top, r.bottom, innerHeight]; })()")
        assert 0 <= box[0] and box[1] <= box[2], box
        page.click("#end-button")
        wait_state(page, "ENDED")
    finally:
        page.set_viewport_size({"width": 1100, "height": 800})
    page.click("#clear-log")
    assert page.is_visible("#log-empty")


# What the video box showed, in order: each step while shown, "-" when hidden (the page's own
# record: a step can be brief).
STEPS_SEEN = """window.stepsSeen = [];
new MutationObserver(() => {
  const status = document.querySelector('#video-status');
  const now = !status || status.hidden ? '-' : document.querySelector('#video-step').textContent.trim();
  if (now !== (window.stepsSeen.at(-1) ?? '-')) window.stepsSeen.push(now);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });"""


def test_the_page_is_usable_before_pydantic_loads_and_a_failed_load_is_said(guarded_page, emulator_process):
    """pyscript.toml loads only kaltura-avatar; pydantic (a session's config) loads once the page is
    on screen. Its download failing leaves the page usable: the log says so at once (the catalog is
    held until then: a failure before anything awaits the load must not be reported as an unhandled
    exception), Connect says what happened, and the next Connect loads it, saying so, then connects."""
    guard, page = guarded_page, guarded_page.page
    guard.allow_console_error(r"pydantic|Failed to fetch|ERR_FAILED")  # Pyodide reports the failed download
    page.route("**/pydantic-2*.whl", lambda route: route.abort())
    held: list = []  # the catalog's requests, held so that the load fails before the page's script waits for it
    page.route("**/v1/catalog-item/list*", lambda route: held.append(route))
    page.add_init_script(STEPS_SEEN)
    open_demo(guard, emulator_process.url + "/")
    assert page.is_enabled("#connect-button")
    wait_log_count(page, "packages", 1, timeout=CONNECT_TIMEOUT_MS)
    assert "Connect tries again" in dict(log_entries(page))["packages"]
    assert page.get_attribute("#connect-form", "data-catalog") == "loading" and len(held) == 2  # avatars, voices
    for route in held:
        route.continue_()
    page.wait_for_selector("#connect-form:not([data-catalog=loading])", state="attached")

    page.click("#connect-button")
    code, message = banner(page)
    assert (code, message) == ("PACKAGE_LOAD_FAILED", "The page could not load pydantic, which a session needs. "
                               "Check that this page's server is running, then press Connect again.")
    assert page.inner_text("#connect-button") == "Connect" and page.inner_text("#session-id") == "none"

    page.unroute("**/pydantic-2*.whl")
    page.click("#connect-button")
    wait_state(page, "READY")
    assert page.is_hidden("#error-banner")
    loading, creating, connecting = ("Loading the session's Python packages…", "Creating the session…",
                                     "Connecting the video…")
    assert page.evaluate("window.stepsSeen") == [loading, "-", loading, creating, connecting, "-"]
    page.click("#end-button")
    wait_state(page, "ENDED")
