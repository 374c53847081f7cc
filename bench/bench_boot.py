"""Page boot time: the demo page (PyScript + Pyodide + pydantic + SDK) against bare Pyodide.

Both are measured in the same run, alternating, cold (new browser context) and warm (same
context, HTTP cache filled), and reported as medians and as a ratio to the baseline.

Usage: .venv/bin/python bench/bench_boot.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGES = {"baseline: bare Pyodide": "/bench/bare.html", "demo page": "/"}


def boot_seconds(context, url: str) -> float:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=120_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_vendor.py")], check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0",
         "--mount", f"/bench={ROOT / 'bench' / 'pages'}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    base = server.stdout.readline().split()[-1].rstrip("/")
    results: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warm": []} for name in PAGES}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.runs):
                for name, path in PAGES.items():
                    context = browser.new_context()
                    results[name]["cold"].append(boot_seconds(context, base + path))
                    results[name]["warm"].append(boot_seconds(context, base + path))
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    baseline = {kind: statistics.median(v) for kind, v in results["baseline: bare Pyodide"].items()}
    print(f"\nboot to ready, median of {args.runs} runs (seconds; ratio to the baseline)")
    print(f"{'page':<24}{'cold':>8}{'ratio':>8}{'warm':>8}{'ratio':>8}")
    for name, kinds in results.items():
        cold, warm = statistics.median(kinds["cold"]), statistics.median(kinds["warm"])
        print(f"{name:<24}{cold:>8.2f}{cold / baseline['cold']:>8.2f}"
              f"{warm:>8.2f}{warm / baseline['warm']:>8.2f}")


if __name__ == "__main__":
    main()
