"""Browser test harness: real Chromium, real Pyodide, the real emulator over real HTTP/WebRTC.

Fixtures:
- `emulator`: one emulator process for the session (`--test-controls`, tests/e2e/pages mounted at
  /e2e), with helpers for its /__test__/ routes (the pytest plugin's `AvatarEmulator`, from
  kaltura_avatar_emulator/testing.py); it is reset before every test.
- `guarded_page`: a fresh page that fails the test on any request off loopback, and on any
  console error or uncaught page error not allowed with `guarded_page.allow_console_error(regex)`.
- `py`: a guarded page on the harness (Pyodide + pydantic + kaltura_avatar loaded);
  `py.run(code)` runs async Python in the page and returns the last expression's value.
- `module_py`: the same, one page (one Pyodide load) for a whole module; the emulator is reset
  once, when the module starts, so cases can share a session.
- For the README's tests, the pytest plugin's fixtures: `avatar_emulator` serving `avatar_pages`
  (the README's my-pages/ snippets, saved as a user would), and pytest-playwright's `page`, guarded.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kaltura_avatar_emulator.testing import AvatarEmulator

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
BOOT_TIMEOUT_MS = 60_000

sys.path.insert(0, str(ROOT / "scripts"))


def pytest_collection_modifyitems(items):
    def is_e2e(item) -> bool:
        return Path(str(item.fspath)).is_relative_to(Path(__file__).parent)

    for item in items:
        if is_e2e(item):
            item.add_marker(pytest.mark.e2e)
    # Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    # until the session ends, and pytest-asyncio tests cannot start their own loop after that.
    items[:] = sorted(items, key=is_e2e)


# --- the browser ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():  # a failure, never a skip: `make test` installs it
        pytest.fail(f"Chromium not found at {CHROMIUM}: a missing browser fails the run "
                    "(make test installs it; or apt-get install chromium)", pytrace=False)
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def shared_context(browser, emulator_process):
    """One context for the session so the runtime stays in the HTTP cache between tests, with the
    Pyodide memory snapshot made once up front: later pages restore it, and none starts the
    snapshot worker in the middle of a test (test_snapshot.py tests that path in a context of its own)."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    page = ctx.new_page()
    made = ("memory snapshot saved", "could not make a memory snapshot")
    with page.expect_console_message(lambda m: any(t in m.text for t in made), timeout=120_000):
        page.goto(emulator_process.url + "/e2e/harness.html")
    page.close()
    yield ctx
    ctx.close()


class GuardedPage:
    """A page whose requests and console are watched."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self._allowed: list[re.Pattern] = []
        self.routed: set[str] = set()  # URLs off loopback that a route_host() answered
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))

    def allow_console_error(self, pattern: str) -> None:
        self._allowed.append(re.compile(pattern))

    def route_host(self, origin: str, target: str) -> None:
        """Answer every request to `origin` (e.g. a live service's https://host) from `target`
        (e.g. the emulator), same path and query. Only the requests this route answered are
        exempt from the loopback guard: the browser never reaches the real host."""
        origin = origin.rstrip("/")

        def forward(route):
            url = route.request.url
            response = route.fetch(url=target.rstrip("/") + url[len(origin):])
            self.routed.add(url)
            route.fulfill(response=response)

        self.page.route(origin + "/**", forward)

    def off_loopback(self) -> list[str]:
        bad = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"} or url in self.routed:
                continue
            if parts.hostname not in LOOPBACK_HOSTS and not (parts.hostname or "").startswith("127."):
                bad.append(url)
        return bad

    def unexpected_console_errors(self) -> list[str]:
        return [m for m in self.console_errors if not any(p.search(m) for p in self._allowed)]

    def check(self) -> None:
        problems = []
        if off := self.off_loopback():
            problems.append(f"requests off loopback: {off}")
        if errors := self.unexpected_console_errors():
            problems.append(f"console errors: {errors}")
        if problems:
            pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def guarded_page(shared_context):
    page = shared_context.new_page()
    guard = GuardedPage(page)
    yield guard
    page.close()
    guard.check()


@pytest.fixture
def page(page, request):
    """pytest-playwright's own `page` (what the README's example test uses), watched like
    `guarded_page`; a module's ALLOWED_CONSOLE_ERRORS lists the console errors its tests expect."""
    guard = GuardedPage(page)
    for pattern in getattr(request.module, "ALLOWED_CONSOLE_ERRORS", ()):
        guard.allow_console_error(pattern)
    yield page
    guard.check()


# --- the emulator ---------------------------------------------------------------------

class Emulator(AvatarEmulator):
    """The pytest plugin's emulator (kaltura_avatar_emulator.testing), with the names this suite uses."""

    @property
    def url(self) -> str:
        return self.origin


def start_emulator(tmp_dir: Path, *extra: str) -> Emulator:
    return Emulator.start("--mount", f"/e2e={PAGES}", *extra, log=tmp_dir / "emulator.log")


def stop_emulator(emulator: Emulator) -> None:
    emulator.stop()


@pytest.fixture(scope="session")
def vendor():
    """The browser runtime and a fresh SDK wheel (a no-op when up to date)."""
    import build_vendor

    build_vendor.build(ROOT / "static" / "vendor")


@pytest.fixture(scope="session")
def emulator_process(vendor, tmp_path_factory):
    emulator = start_emulator(tmp_path_factory.mktemp("emulator"))
    yield emulator
    stop_emulator(emulator)


@pytest.fixture(scope="module")
def start_another_emulator(vendor, tmp_path_factory):
    """`start_another_emulator(*options)`: one more emulator process (e.g. with --turn), stopped with the module."""
    started: list[Emulator] = []

    def start(*options: str) -> Emulator:
        started.append(start_emulator(tmp_path_factory.mktemp("emulator"), *options))
        return started[-1]

    yield start
    for emulator in started:
        stop_emulator(emulator)


@pytest.fixture
def emulator(emulator_process):
    emulator_process.reset()
    return emulator_process


@pytest.fixture(scope="session")
def avatar_pages(vendor, tmp_path_factory) -> Path:
    """The folder the plugin's `avatar_emulator` serves: my-pages/ saved from the README's snippets."""
    import readme

    folder = tmp_path_factory.mktemp("readme") / "my-pages"
    readme.save_pages(folder)
    return folder


# --- Python in the page ---------------------------------------------------------------

class PyError(AssertionError):
    def __init__(self, info: dict):
        self.type = info.get("type")
        self.code = info.get("code")
        self.error = info.get("error")
        super().__init__(f"{self.type}: {self.error}\n{info.get('traceback', '')}")


class PyPage:
    def __init__(self, guard: GuardedPage, emulator: Emulator):
        self.guard = guard
        self.page = guard.page
        self.emulator = emulator

    def run(self, code: str, timeout_ms: float = 30_000):
        """Run async Python in the page; return the last expression's value (JSON)."""
        raw = self.page.evaluate(
            """([code, ms]) => Promise.race([
                 window.pyRun(code),
                 new Promise((_, no) => setTimeout(() => no(new Error(`pyRun timed out after ${ms} ms`)), ms)),
               ])""",
            [textwrap.dedent(code), timeout_ms],
        )
        info = json.loads(raw)
        if not info["ok"]:
            raise PyError(info)
        return info["value"]

    def allow_console_error(self, pattern: str) -> None:
        self.guard.allow_console_error(pattern)


def open_harness(guard: GuardedPage, emulator: Emulator) -> PyPage:
    guard.page.goto(emulator.url + "/e2e/harness.html")
    guard.page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    return PyPage(guard, emulator)


@pytest.fixture
def py(guarded_page, emulator) -> PyPage:
    return open_harness(guarded_page, emulator)


@pytest.fixture(scope="module")
def module_py(shared_context, emulator_process) -> PyPage:
    emulator_process.reset()
    guard = GuardedPage(shared_context.new_page())
    yield open_harness(guard, emulator_process)
    guard.page.close()
    guard.check()
