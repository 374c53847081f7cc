"""Take docs/screenshot.png: the real demo page, connected to the emulator, the avatar speaking.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--chromium /usr/bin/chromium]

Starts the emulator on a free port, drives the page in headless Chromium (connect, say a
sentence), and captures the page while the speaking indicator is on and the mouth is open.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
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


def start_emulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    match = re.search(r"Serving on (http://\S+)", process.stdout.readline())
    if not match:
        process.kill()
        raise SystemExit("the emulator did not start")
    return process, match.group(1).rstrip("/")


def capture(url: str, out: Path, chromium: str) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 900}, device_scale_factor=1)
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=90_000)
        page.wait_for_selector("#connect-form[data-catalog]:not([data-catalog=loading])", state="attached")
        page.click("#connect-button")
        page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=60_000)
        page.fill("#speak-text", TEXT)
        page.click("#say-button")
        page.wait_for_selector("#speaking[data-speaking=true]", timeout=30_000)
        # Wait for a frame with the mouth well open: the darkest mouth region while speaking.
        page.wait_for_timeout(400)
        best, darkest = None, None
        for _ in range(12):
            shot = page.screenshot(type="png")
            level = page.evaluate(_MOUTH_DARKNESS)
            if darkest is None or level > darkest:
                best, darkest = shot, level
            page.wait_for_timeout(90)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(best)
        browser.close()


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
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    import build_vendor

    build_vendor.build(ROOT / "static" / "vendor")
    process, url = start_emulator()
    started = time.monotonic()
    try:
        capture(url, args.out, args.chromium)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"[screenshot] {args.out} ({args.out.stat().st_size // 1024} KB) in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
