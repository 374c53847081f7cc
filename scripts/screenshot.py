"""Take the README's screenshots of the real demo page, driven in headless Chromium:

- docs/screenshot.png: connected to the emulator, the avatar speaking, its caption on the video;
- docs/screenshot-connecting.png: connecting over a slow network (the emulator holds create back);
- docs/screenshot-error.png: the banner when the backend cannot be reached.

    .venv/bin/python scripts/screenshot.py [--out-dir docs] [--chromium /usr/bin/chromium]

Starts the emulator (with its test controls, for the slow create) on a free port.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
TEXT = "Hello! I am speaking from Python, running in your browser."
SLOW_CREATE_S = 4.0


def start_emulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", "--test-controls"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    match = re.search(r"Serving on (http://\S+)", process.stdout.readline())
    if not match:
        process.kill()
        raise SystemExit("the emulator did not start")
    return process, match.group(1).rstrip("/")


def slow_create(url: str) -> None:
    """The emulator's hang fault: the next create answers after SLOW_CREATE_S."""
    body = json.dumps({"route": "create", "hang": SLOW_CREATE_S}).encode()
    request = urllib.request.Request(url + "/__test__/faults", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(url: str, out_dir: Path, chromium: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = [out_dir / name for name in ("screenshot-connecting.png", "screenshot.png", "screenshot-error.png")]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 900}, device_scale_factor=1)
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=90_000)
        page.wait_for_selector("#connect-form[data-catalog]:not([data-catalog=loading])", state="attached")

        # Connecting over a slow network: the step over the video and on the button.
        slow_create(url)
        page.click("#connect-button")
        page.wait_for_function("parseFloat(document.querySelector('#video-elapsed').textContent) >= 2.5")
        page.evaluate("window.scrollTo(0, 0)")
        shots[0].write_bytes(page.screenshot(type="png"))
        page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=60_000)
        page.click("#end-button")  # the main shot's session connects at the usual speed
        page.wait_for_selector("body[data-session-state=ENDED]", state="attached")
        page.click("#connect-button")
        page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=60_000)

        # Speaking, with its caption; wait for a frame with the mouth well open.
        page.fill("#speak-text", TEXT)
        page.click("#say-button")
        page.wait_for_selector("#speaking[data-speaking=true]", timeout=30_000)
        page.wait_for_function("/fps/.test(document.querySelector('#stats-line').textContent)")
        page.wait_for_timeout(400)
        page.evaluate("window.scrollTo(0, 0)")
        best, darkest = None, None
        for _ in range(12):
            shot = page.screenshot(type="png")
            level = page.evaluate(_MOUTH_DARKNESS)
            if darkest is None or level > darkest:
                best, darkest = shot, level
            page.wait_for_timeout(90)
        shots[1].write_bytes(best)

        # The backend cannot be reached: the banner says so, and what to do.
        page.click("#end-button")
        page.wait_for_selector("body[data-session-state=ENDED]", state="attached")
        page.fill("#base-url", f"http://127.0.0.1:{closed_port()}/v1/avatar-session")
        page.click("#connect-button")
        page.wait_for_selector("#error-banner:not([hidden])", timeout=60_000)
        page.evaluate("window.scrollTo(0, 0)")
        shots[2].write_bytes(page.screenshot(type="png"))
        browser.close()
    return shots


# How open the mouth is in the current video frame: the share of dark pixels around it.
_MOUTH_DARKNESS = """() => {
  const video = document.querySelector('#avatar-video video');
  const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 32 });
  const ctx = canvas.getContext('2d');
  const w = video.videoWidth, h = video.videoHeight;
  ctx.drawImage(video, w * 0.38, h * 0.56, w * 0.24, h * 0.14, 0, 0, 64, 32);
  const data = ctx.getImageData(0, 0, 64, 32).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 200) dark++;
  return dark;
}"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    import build_vendor

    build_vendor.build(ROOT / "static" / "vendor")
    process, url = start_emulator()
    started = time.monotonic()
    try:
        shots = capture(url, args.out_dir, args.chromium)
    finally:
        process.terminate()
        process.wait(timeout=10)
    for shot in shots:
        print(f"[screenshot] {shot} ({shot.stat().st_size // 1024} KB)")
    print(f"[screenshot] done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
