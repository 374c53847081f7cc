"""The Pyodide memory snapshot (static/pyodide-snapshot.mjs), in real Chromium with real Cache Storage.

One browser context for the module, so its Cache Storage carries the snapshot from visit to visit:
the first visit boots normally and a worker stores a snapshot; later visits restore it (the console
says so once), draw fresh random numbers, and run sessions; every failure to make, read or restore
it boots normally and leaves no bad snapshot behind; a page without Cache Storage boots normally;
both off switches leave the snapshot alone.
"""

from __future__ import annotations

import json
import re
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

import kaltura_avatar

from conftest import BOOT_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, GuardedPage, PyPage

RESTORED = "Python restored from a memory snapshot"
SAVED = "memory snapshot saved for the next visit"
SECRET_KS = "ks-secret-3f9c1a7e5b2d4c68"
MAKE_TIMEOUT_MS = 120_000

# Run in the page: the snapshot entries in Cache Storage, and whether each holds some strings.
READ_CACHE = """async (needles) => {
  const cache = await caches.open('pyodide-snapshot');
  const out = [];
  for (const request of await cache.keys()) {
    const bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
    const text = new TextDecoder('latin1').decode(bytes);
    out.push({ url: request.url, size: bytes.length, found: needles.map((n) => text.includes(n)) });
  }
  return out;
}"""
PUT_GARBAGE = """async (url) => {
  const cache = await caches.open('pyodide-snapshot');
  await cache.put(url, new Response(new Uint8Array(4096).fill(7)));
}"""
NO_WORKERS = "window.Worker = class { constructor() { throw new Error('workers are disabled here'); } };"
# A stored snapshot whose body cannot be read back (what a broken disk cache gives).
# Observation only: the session tokens the Control API hands the page.
SEE_TOKENS = """
window.seenTokens = [];
const pageFetch = window.fetch;
window.fetch = async (...args) => {
  const response = await pageFetch(...args);
  if (String(args[0]?.url ?? args[0]).endsWith('/create')) {
    response.clone().json().then((body) => body.token && window.seenTokens.push(body.token));
  }
  return response;
};
"""
UNREADABLE = """
const match = Cache.prototype.match;
Cache.prototype.match = async function (...args) {
  const found = await match.apply(this, args);
  if (!found) return found;
  return new Response(new ReadableStream({ pull(c) { c.error(new TypeError('simulated read failure')); } }));
};
"""


class Visit(GuardedPage):
    """A guarded page that keeps every console line, to read the snapshot's own messages."""

    def __init__(self, page):
        super().__init__(page)
        self.lines: list[str] = []
        page.on("console", lambda m: self.lines.append(m.text))

    def said(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    def wait_for_line(self, text: str, timeout_ms: float = MAKE_TIMEOUT_MS) -> None:
        if not self.said(text):
            self.page.wait_for_event("console", lambda m: text in m.text, timeout=timeout_ms)

    def cache(self, needles: list[str] = ()) -> list[dict]:
        return self.page.evaluate(READ_CACHE, list(needles))


@pytest.fixture(scope="module")
def snapshot_context(browser):
    """A context of its own: its Cache Storage starts empty and lives for the module."""
    context = browser.new_context()
    yield context
    context.close()


@contextmanager
def visit(context, url: str, init_script: str | None = None):
    page = context.new_page()
    if init_script:
        page.add_init_script(init_script)
    guard = Visit(page)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    yield guard
    page.close()
    guard.check()


def snapshot_url(emulator) -> str:
    """Where this build's snapshot is kept: named by the build id, the lock and the SDK wheel."""
    with urllib.request.urlopen(emulator.url + "/static/vendor/pyodide/snapshot-key.json", timeout=10) as response:
        key = json.loads(response.read())
    parts = (key["build_id"][:16], key["lock_sha256"][:16], key["sdk_wheel_sha256"][:16])
    return f"{emulator.url}/static/vendor/pyodide/snapshot/{'-'.join(parts)}.bin"


def run_facade_session(page, base_url: str, ks: str) -> dict:
    return page.evaluate(
        """async ([baseUrl, ks]) => {
          const { KalturaAvatarSession } = window.avatarSdk;
          const session = new KalturaAvatarSession(ks, { baseUrl });
          await session.createSession({ avatarId: 'avatar-123', videoContainerId: 'avatar-container' });
          const ready = session.getSessionState();
          const turn = await session.sayText('Hello after a restore.');
          await session.endSession();
          return { ready, turn, ended: session.getSessionState() };
        }""",
        [base_url, ks],
    )


@pytest.fixture(scope="module")
def first_visit(snapshot_context, emulator_process):
    """The first visit: a facade page holding a KS (and a session token) before the snapshot is made."""
    emulator_process.reset()
    with visit(snapshot_context, emulator_process.url + "/e2e/facade.html", SEE_TOKENS) as page:
        session = run_facade_session(page.page, emulator_process.api_base, SECRET_KS)
        page.wait_for_line(SAVED)
        [token] = page.page.evaluate("window.seenTokens")
        # "asyncio" is in any snapshot (the search works); the KS and the token must never be.
        entries = page.cache(["asyncio", SECRET_KS, token])
        return {"lines": list(page.lines), "session": session, "entries": entries}


def test_first_visit_boots_normally_and_stores_a_snapshot_without_secrets(first_visit, emulator):
    assert first_visit["session"]["ready"] == "READY" and first_visit["session"]["ended"] == "ENDED"
    assert not [line for line in first_visit["lines"] if RESTORED in line]
    assert len([line for line in first_visit["lines"] if SAVED in line]) == 1
    [entry] = first_visit["entries"]
    assert entry["url"] == snapshot_url(emulator)  # keyed on the build id, the lock and the SDK wheel
    assert entry["size"] > 10 * 2**20
    assert entry["found"] == [True, False, False]


def test_later_visits_restore_and_draw_fresh_random_numbers(first_visit, snapshot_context, emulator):
    draws = []
    for _ in range(2):
        with visit(snapshot_context, emulator.url + "/e2e/harness.html") as page:
            assert len(page.said(RESTORED)) == 1, page.lines
            py = PyPage(page, emulator)
            draws.append(py.run("""
                import random, pydantic, kaltura_avatar
                from kaltura_avatar import AvatarConfig, new_turn_id
                AvatarConfig.parse({"baseUrl": "http://127.0.0.1:1/v1/avatar-session"})
                [new_turn_id(now_ms=0), random.random(), pydantic.VERSION]
            """))
    assert draws[0][2] == draws[1][2] == "2.14.4"
    assert draws[0][0] != draws[1][0] and draws[0][1] != draws[1][1]


def test_a_restore_brings_back_the_standard_library_the_page_imported_as_it_started(browser, emulator):
    """The snapshot is made once the page has started (for PyScript: py:all-done), so it holds what
    the demo's start imported, such as zoneinfo (through pydantic): the restored page has it before
    anything imports it. Site-packages never come back (their files and native code cannot)."""
    context = browser.new_context()
    try:
        with visit(context, emulator.url + "/") as page:
            page.wait_for_line(SAVED)
        with visit(context, emulator.url + "/e2e/harness.html") as page:
            assert len(page.said(RESTORED)) == 1, page.lines
            found = PyPage(page, emulator).run("""
                import sys
                [name in sys.modules for name in ("zoneinfo", "urllib.parse", "pydantic", "kaltura_avatar")]
            """)
    finally:
        context.close()
    assert found == [True, True, False, False]


def test_a_page_with_more_standard_library_than_fits_keeps_what_fits(browser, emulator):
    """A restore cannot grow the heap (pyodide issue 6254): the worker stops at the module that
    would grow it and the page makes the snapshot again with the modules before it."""
    context = browser.new_context()
    try:
        with visit(context, emulator.url + "/e2e/stdlib-heavy.html") as page:
            page.wait_for_line(SAVED)
            [line] = page.said(SAVED)
        kept, total = map(int, re.search(r"(\d+) of the page's (\d+) standard-library modules", line).groups())
        assert "grew the heap" in line and "the rest stay out" in line, line
        assert 100 < kept < total
        with visit(context, emulator.url + "/e2e/harness.html") as page:
            assert len(page.said(RESTORED)) == 1, page.lines
            assert PyPage(page, emulator).run("import zipfile, json; 1 + 1") == 2
    finally:
        context.close()


def test_a_restored_facade_runs_a_session(first_visit, snapshot_context, emulator):
    with visit(snapshot_context, emulator.url + "/e2e/facade.html") as page:
        result = run_facade_session(page.page, emulator.api_base, "your-kaltura-session")
        assert len(page.said(RESTORED)) == 1, page.lines
    assert result["ready"] == "READY" and result["ended"] == "ENDED"
    said = [r["body"]["turnId"] for r in emulator.requests() if r["path"].endswith("/say-text")]
    assert said == [result["turn"]]


@pytest.mark.parametrize("path, start", [
    ("/e2e/snapshot-off.html", None),  # the page attribute <html data-pyodide-snapshot="off">
    ("/e2e/facade.html", "() => window.avatarSdk.loadRuntime({ snapshot: false }).then(() => true)"),
])
def test_the_off_switches_boot_without_the_snapshot(path, start, first_visit, snapshot_context, emulator):
    with visit(snapshot_context, emulator.url + path) as page:
        if start:
            assert page.page.evaluate(start)
        else:
            assert py_works(PyPage(page, emulator))
        assert len(page.cache()) == 1  # there was a snapshot to restore
        assert not page.said("[pyodide-snapshot]"), page.lines
        assert not [u for u in page.requests if u.endswith("/snapshot-key.json")]  # not even looked up


@pytest.mark.parametrize("failure, init_script, warning", [
    ("restore", None, "could not restore the memory snapshot"),
    ("read", UNREADABLE, "could not read the memory snapshot"),
])
def test_a_bad_snapshot_is_discarded_and_the_page_boots(failure, init_script, warning, first_visit,
                                                        snapshot_context, emulator):
    """With workers disabled the snapshot cannot be made again either: nothing is left stored."""
    url = snapshot_url(emulator)
    with visit(snapshot_context, emulator.url + "/e2e/facade.html") as page:
        page.page.evaluate(PUT_GARBAGE, url)
    with visit(snapshot_context, emulator.url + "/e2e/harness.html", (init_script or "") + NO_WORKERS) as page:
        assert py_works(PyPage(page, emulator))
        assert page.said(warning) and not page.said(RESTORED), page.lines
        page.wait_for_line("could not make a memory snapshot")
        assert page.cache() == []


def test_a_page_without_cache_storage_boots_normally(playwright, start_another_emulator):
    """A non-secure origin (a host name that is not loopback) has no Cache Storage. The emulator
    answers that name only because it is told to (--allow-host): it refuses unknown Host names."""
    emulator = start_another_emulator("--allow-host", "insecure.test")
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--host-resolver-rules")]
    args.append("--host-resolver-rules=MAP insecure.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        page = browser.new_page()
        guard = Visit(page)
        origin = "http://insecure.test:" + str(urlsplit(emulator.url).port)
        assert page.goto(origin + "/e2e/harness.html").ok
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
        assert page.evaluate("[window.isSecureContext, typeof window.caches]") == [False, "undefined"]
        assert py_works(PyPage(guard, emulator))
        assert guard.said("no Cache Storage here") and not guard.said(RESTORED)
        assert {urlsplit(u).hostname for u in guard.requests if u.startswith("http")} == {"insecure.test"}
        assert guard.unexpected_console_errors() == []
    finally:
        browser.close()


def py_works(py: PyPage) -> bool:
    return py.run("import pydantic, kaltura_avatar; kaltura_avatar.__version__") == kaltura_avatar.__version__
