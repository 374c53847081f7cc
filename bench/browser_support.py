"""What the browser benchmarks share: the emulator serving bench/pages at /bench, and Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "scripts"))
import build_vendor  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TIMEOUT_MS = 120_000


def stock_stdlib() -> Path:
    """The folder of Pyodide's python_stdlib.zip as released (sources), from the cached npm
    package: the bare baseline page boots from it, not from the vendored one with bytecode."""
    folder = build_vendor.CACHE / "stock-stdlib"
    if not (folder / "python_stdlib.zip").is_file():
        version = build_vendor.load_settings()["npm"]["pyodide"]
        tarball = build_vendor.npm_tarball("pyodide", version)
        build_vendor.extract(tarball, {"python_stdlib.zip": folder / "python_stdlib.zip"})
    return folder


@contextmanager
def emulator(*extra: str):
    """An emulator with test controls, bench/pages at /bench and Pyodide's own standard library at
    /stock; yields its base URL."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_vendor.py")], check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", "--test-controls",
         "--max-sessions", "16", "--log-level", "WARNING", "--mount", f"/bench={ROOT / 'bench' / 'pages'}",
         "--mount", f"/stock={stock_stdlib()}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    match = re.search(r"(http://\S+?)/?$", server.stdout.readline().strip())
    if not match:
        server.kill()
        sys.exit("the emulator did not start")
    try:
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=10)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def profile(playwright):
    """A browser on a new on-disk profile, as a visitor's own browser is: unlike an incognito
    context (Playwright's new_context), it keeps the engine's compiled-code cache between visits."""
    folder = tempfile.mkdtemp(prefix="bench-profile-")
    context = playwright.chromium.launch_persistent_context(folder, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(folder, ignore_errors=True)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# Notes, by the page's own clock (ms from navigation start), when `selector` first matches.
# Playwright's wait_for_selector can return long after that (about 0.5 s later on the demo page,
# 30 ms on the bare one, as measured): its wall time would charge the page for the test driver.
MATCHED_AT = """(selector) => {
  const check = () => {
    if (window.__matchedAt === undefined && document.querySelector(selector)) window.__matchedAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  check();
}"""


def timed_visit(context, url: str, selector: str = "body[data-ready=true]", keep: bool = False,
                script: str | None = None):
    """Seconds from navigation to `selector` in a new page (closed unless `keep`), and the page;
    `script` runs in the page before its own scripts (e.g. to click as soon as it can).

    The time is the page's own: performance.now() (0 at navigation start) when a mutation first
    made `selector` match.
    """
    page = context.new_page()
    lines: list[str] = []
    page.on("console", lambda m: lines.append(m.text))
    page.add_init_script(f"({MATCHED_AT})({json.dumps(selector)})")
    if script:
        page.add_init_script(script)
    page.goto(url)
    page.wait_for_selector(selector, state="attached", timeout=TIMEOUT_MS)
    elapsed = page.evaluate("window.__matchedAt") / 1000
    page.console_lines = lines
    if not keep:
        page.close()
    return elapsed, page


def wait_for_snapshot(page) -> None:
    """Until the page's snapshot worker says it stored the snapshot."""
    if not any("memory snapshot saved" in line for line in page.console_lines):
        page.wait_for_event("console", lambda m: "memory snapshot saved" in m.text, timeout=TIMEOUT_MS)
