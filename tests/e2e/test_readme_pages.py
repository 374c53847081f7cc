"""The README's "Embed it in your page" snippets, as written: read out of README.md when the tests
run, saved into my-pages/ (conftest's `avatar_pages`) and served by the plugin's emulator with
`--pages`, as `make demo PAGES=my-pages` does: the Python page here, and the JavaScript page on a
plain static host next to the runtime `make dist PAGES=my-pages` copies, its backend on another
origin (the README's example test, test_readme_example.py, runs it as it is on the emulator).
Each must show the avatar's video and make it say "Hello!"."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

import build_dist
import readme

BOOT_TIMEOUT_MS = 60_000
CREATE_BODY = {"avatarId": "avatar-123", "voiceId": "voice-456"}  # what the README says the pages send


def watch_requests(page) -> list[tuple[str, str, str]]:
    """(origin, path, Playwright resource type) of every request the page makes, as it makes them."""
    seen: list[tuple[str, str, str]] = []
    page.on("request", lambda r: seen.append((f"http://{urlsplit(r.url).netloc}", urlsplit(r.url).path, r.resource_type)))
    return seen


def assert_the_avatar_showed_and_spoke(page, avatar_emulator) -> None:
    expect(page.locator("#status")).to_have_text("Connected", timeout=BOOT_TIMEOUT_MS)
    said = avatar_emulator.wait_for_speech("Hello!")
    assert said.text == "Hello!" and not said.interrupted
    page.wait_for_function("""() => {
        const video = document.querySelector('#avatar-container video');
        return video && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames >= 10;
    }""", timeout=15_000)
    (created,) = [r for r in avatar_emulator.requests() if r["route"] == "create-avatar-session"]
    assert (created["method"], created["body"]) == ("POST", CREATE_BODY)
    (session,) = avatar_emulator.sessions()
    assert session["id"] == said.session_id and session["viewers"] == 1


def test_the_readme_pages_are_what_the_folder_holds(avatar_pages):
    assert sorted(p.name for p in avatar_pages.iterdir()) == ["js-page.html", "main.py", "pyscript.toml", "python-page.html"]


def test_the_python_page_shows_the_avatar_and_its_own_sync_call_goes_through_pyodide_http(guarded_page, avatar_emulator):
    page = guarded_page.page
    seen = watch_requests(page)
    page.goto(avatar_emulator.page_url("python-page.html"))
    assert_the_avatar_showed_and_spoke(page, avatar_emulator)
    # The page's own urllib call became a (synchronous) XMLHttpRequest; the SDK's requests are fetch().
    assert (avatar_emulator.origin, "/api/create-avatar-session", "xhr") in seen
    sdk = {kind for _, path, kind in seen if path.startswith(("/v1/", "/rtc/"))}
    assert sdk == {"fetch"}
    assert all(path.startswith("/kaltura-avatar/") for _, path, kind in seen if kind == "script" or path.endswith(".whl"))


@pytest.fixture
def static_host(tmp_path, avatar_pages, avatar_emulator):
    """`make dist PAGES=my-pages` (the Makefile runs build_dist with --pages), the JavaScript page's
    BACKEND line being the README's one for another origin, naming this emulator; then
    `python3 -m http.server -d dist` on a free port."""
    pages = tmp_path / "my-pages"
    pages.mkdir()
    line = readme.other_origin_line("js").replace("http://127.0.0.1:8000", avatar_emulator.origin)
    js_page, count = re.subn(r"^ *const BACKEND = .*$", line, (avatar_pages / "js-page.html").read_text(), flags=re.M)
    assert count == 1 and avatar_emulator.origin in js_page
    (pages / "js-page.html").write_text(js_page)
    dist = tmp_path / "dist"
    build_dist.build(dist, pages=pages, brotli_quality=1)  # the twins, not the best ratio: quality 11 costs ~30 s
    process = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(dist)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        match = re.search(r"port (\d+)", process.stdout.readline())
        assert match, "http.server did not start"
        yield f"http://127.0.0.1:{match.group(1)}", dist
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_javascript_page_on_a_static_host_talks_to_the_backend_on_another_origin(guarded_page, avatar_emulator, static_host):
    origin, dist = static_host
    for name in ("js-page.html", "kaltura-avatar/kaltura-avatar.js", "kaltura-avatar/vendor/pyscript/core.js",
                 "kaltura-avatar/vendor/pyodide/pyodide.mjs", "kaltura-avatar/vendor/pyodide/pyodide-lock.json",
                 "kaltura-avatar/vendor/pyodide/pyodide.asm.wasm.gz"):
        assert (dist / name).is_file(), name
    assert list((dist / "kaltura-avatar/vendor/pyodide").glob("kaltura_avatar-*.whl"))
    assert not (dist / "kaltura-avatar/app.py").exists() and not (dist / "index.html").exists()  # no demo
    page = guarded_page.page
    seen = watch_requests(page)
    page.goto(origin + "/js-page.html")
    assert_the_avatar_showed_and_spoke(page, avatar_emulator)
    assert {o for o, path, _ in seen if path.startswith("/kaltura-avatar/") or path.endswith(".html")} == {origin}
    api = {o for o, path, _ in seen if path.startswith(("/api/", "/v1/", "/rtc/"))}
    assert api == {avatar_emulator.origin} != {origin}
    assert (avatar_emulator.origin, "/api/create-avatar-session", "fetch") in seen
    assert (origin, "/kaltura-avatar/kaltura-avatar.js", "script") in seen
