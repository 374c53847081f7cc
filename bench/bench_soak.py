"""Soak: one avatar session in Chromium for 30 minutes, ``say_text`` every 5 s, against the emulator.

Checks what a long session must keep doing: keep-alive never missed (every 10 s on the
emulator's keep-alive log), the JS heap flat (growth under 5 MB after the first minute), video
frames flowing throughout, no error. The baseline, measured in the same run and the same
browser, is a second page with the same runtime loaded and no session: its heap over the same
minutes says how much growth the runtime itself accounts for. The heap is read after a forced
garbage collection (Chrome DevTools Protocol), so it counts what is still referenced; Pyodide's
own memory and the number of live Python objects are reported beside it.

Writes bench/results/soak.json and exits non-zero when a check fails. Not run by the test command.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--say-every 5] [--sample-every 15]
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
from conftest import CHROMIUM, CHROMIUM_ARGS, PAGES, Emulator, PyPage, GuardedPage, open_harness  # noqa: E402
from sdk_support import PRELUDE  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from report import RESULTS, machine, write_section  # noqa: E402

RESULT = RESULTS / "soak.json"
KEEP_ALIVE_S = 10.0
HEAP_GROWTH_LIMIT_MB = 5.0

SPEAKER = r'''
import gc
said, failed = [], []
soak = new_session()  # every default: keep-alive every 10 s, the default retries
soak.on("error", lambda e: failed.append(e.to_dict()))
await soak.create_session("avatar-123", None, "avatar-container")
ready_at = time.time()

async def speak_every(seconds, until_t):
    n = 0
    while time.time() < until_t:
        await asyncio.sleep(seconds)
        n += 1
        try:
            await soak.say_text(f"Sentence number {n}. The avatar keeps talking through the soak.")
            said.append(n)  # an int is not a gc-tracked object: the object count stays the SDK's own
            events.clear()  # the harness records every event; the soak reads none of them
        except AvatarError as err:
            failed.append(err.to_dict())
'''


WASM_BYTES = "import pyodide_js\npyodide_js._module.HEAPU8.length"  # Pyodide's memory (Python's heap)


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--say-every", type=float, default=5.0)
    parser.add_argument("--sample-every", type=float, default=15.0)
    args = parser.parse_args()
    started_machine = machine()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_vendor.py")], check=True)
    emulator = Emulator.start("--mount", f"/e2e={PAGES}", "--log-level", "WARNING")
    samples: list[dict] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            pages = {name: open_harness(GuardedPage(context.new_page()), emulator) for name in ("baseline", "soak")}
            soak: PyPage = pages["soak"]
            soak.run(PRELUDE.replace("__BASE__", repr(emulator.api_base)))
            soak.run(SPEAKER)
            cdps = {name: context.new_cdp_session(page.page) for name, page in pages.items()}
            started = time.time()
            end_t = started + args.minutes * 60
            soak.run(f"speaking = asyncio.ensure_future(speak_every({args.say_every}, {end_t}))")
            while True:
                t = time.time()
                samples.append({"t": round(t - started, 1), "frames": soak.run("await frames()"),
                                "wasm_mb": round(soak.run(WASM_BYTES) / 1e6, 1),
                                "py_objects": soak.run("gc.collect()\nlen(gc.get_objects())"),
                                **{f"{name}_heap_mb": round(heap_mb(cdp), 3) for name, cdp in cdps.items()}})
                print(f"  {samples[-1]}", file=sys.stderr, flush=True)
                if t >= end_t:
                    break
                time.sleep(min(args.sample_every, max(0.0, end_t - t)))
            soak.run("await speaking")
            said, failed, session_id, state, ready_at = soak.run(
                "[len(said), failed, soak.get_session_id(), soak.get_session_state(), ready_at]")
            keepalives = emulator.session(session_id)["keepalives"]
            soak.run("await soak.end_session()")
            console_errors = [e for page in pages.values() for e in page.guard.console_errors]
            browser.close()
    finally:
        emulator.stop()
    report(args, samples, said, failed, state, ready_at, keepalives, console_errors, started_machine)


def report(args, samples, said, failed, state, ready_at, keepalives, console_errors, started) -> None:
    gaps = [b - a for a, b in zip([ready_at, *keepalives], keepalives)]
    after_minute = next(s for s in samples if s["t"] >= 60) if samples[-1]["t"] >= 60 else samples[0]
    last = samples[-1]
    growth = {name: round(last[f"{name}_heap_mb"] - after_minute[f"{name}_heap_mb"], 3) for name in ("soak", "baseline")}
    frame_steps = [b["frames"] - a["frames"] for a, b in zip(samples, samples[1:])]
    fps = [step / (b["t"] - a["t"]) for step, a, b in zip(frame_steps, samples, samples[1:]) if b["t"] > a["t"]]
    checks = {
        "keep-alive never missed": bool(gaps) and max(gaps) < KEEP_ALIVE_S * 1.5,
        f"JS heap growth after the first minute under {HEAP_GROWTH_LIMIT_MB:g} MB": growth["soak"] < HEAP_GROWTH_LIMIT_MB,
        "frames flowing throughout": bool(frame_steps) and min(frame_steps) > 0,
        "no errors": not failed and not console_errors and state == "READY",
    }
    result = {
        "minutes": args.minutes, "say_every_s": args.say_every, "said": said, "errors": failed,
        "console_errors": console_errors, "state_at_end": state,
        "keep_alive": {"count": len(keepalives), "interval_s": KEEP_ALIVE_S,
                       "median_gap_s": round(statistics.median(gaps), 3) if gaps else None,
                       "max_gap_s": round(max(gaps), 3) if gaps else None},
        "heap_mb": {name: {"after_first_minute": after_minute[f"{name}_heap_mb"], "end": last[f"{name}_heap_mb"],
                           "growth": growth[name]} for name in ("soak", "baseline")},
        "python": {"wasm_memory_mb": [after_minute["wasm_mb"], last["wasm_mb"]],
                   "objects": [after_minute["py_objects"], last["py_objects"]]},
        "frames": {"decoded": last["frames"], "median_fps": round(statistics.median(fps), 1) if fps else None,
                   "min_fps": round(min(fps), 1) if fps else None},
        "checks": checks, "passed": all(checks.values()), "samples": samples,
    }
    ka, heap, fr = result["keep_alive"], result["heap_mb"], result["frames"]
    rows = [
        {"figure": "keep-alive", "result": f"{ka['count']} in {args.minutes:g} min, gaps median {ka['median_gap_s']} s, "
                                           f"max {ka['max_gap_s']} s",
         "baseline": f"the interval, {KEEP_ALIVE_S:g} s", "target": "never missed (every gap under 1.5x the interval)",
         "met": checks["keep-alive never missed"], "data": ka},
        {"figure": "JS heap growth after the first minute (after a forced GC)", "result": f"{heap['soak']['growth']:+} MB",
         "baseline": f"an idle page with the same runtime, same browser: {heap['baseline']['growth']:+} MB",
         "target": f"under {HEAP_GROWTH_LIMIT_MB:g} MB",
         "met": checks[f"JS heap growth after the first minute under {HEAP_GROWTH_LIMIT_MB:g} MB"], "data": heap},
        {"figure": "frames", "result": f"{fr['decoded']} decoded, median {fr['median_fps']} fps, lowest {fr['min_fps']} fps",
         "baseline": "25 fps sent", "target": "flowing throughout", "met": checks["frames flowing throughout"], "data": fr},
        {"figure": "errors", "result": f"{len(failed)} errors, {len(console_errors)} console errors, {said} sentences said, "
                                       f"state {state} at the end",
         "baseline": "", "target": "0", "met": checks["no errors"], "data": {"errors": failed, "console": console_errors}},
    ]
    write_section("soak", f"Soak: one session for {args.minutes:g} minutes, say_text every {args.say_every:g} s",
                  rows, started, [f"Python's wasm memory {result['python']['wasm_memory_mb']} MB and object count "
                                  f"{result['python']['objects']} after the first minute and at the end."])
    print(f"\nsoak: {args.minutes:g} min, say_text every {args.say_every:g} s ({said} said), {len(failed)} errors")
    print(f"  keep-alive: {len(keepalives)}, gaps median {result['keep_alive']['median_gap_s']} s, "
          f"max {result['keep_alive']['max_gap_s']} s (interval {KEEP_ALIVE_S:g} s)")
    print(f"  JS heap after the first minute: soak {growth['soak']:+.2f} MB, "
          f"baseline (same runtime, no session) {growth['baseline']:+.2f} MB")
    print(f"  Python in the page after the first minute: wasm memory {after_minute['wasm_mb']} -> {last['wasm_mb']} MB, "
          f"objects {after_minute['py_objects']} -> {last['py_objects']}")
    print(f"  frames: {last['frames']} decoded, fps median {result['frames']['median_fps']}, "
          f"min {result['frames']['min_fps']}")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    print(f"  written to {RESULT.relative_to(ROOT)}")
    if not result["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
