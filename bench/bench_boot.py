"""Page boot: the demo and a JavaScript page on the facade, beside a bare Pyodide page, same run.

    .venv/bin/python bench/bench_boot.py [--runs 5]

Each run starts browsers on new on-disk profiles (empty HTTP cache, Cache Storage and
compiled-code cache, as a first-time visitor's browser) and measures, by the page's own clock from
navigation: the bare Pyodide page (the baseline: the same Pyodide, no PyScript, no packages, its
standard library as Pyodide releases it: sources), cold and warm, and the same page on the
vendored standard library (bytecode), to show what that alone saves; the demo until Connect is
enabled, cold (the first visit, which then stores the memory snapshot), warm (restored from it)
and warm without it (Cache Storage hidden: the boot before the snapshot); the seed's Pattern 1
through the facade until its first avatar frame, warm, with and without the snapshot; the demo
until its first avatar frame when Connect is pressed the moment it is enabled (the demo loads
pydantic once it is usable, so this shows what that costs a hasty person); the warm demo again
in an incognito context; and where a boot's time goes (bench/pages/phases.html). It
also counts the bytes a cold load of the demo moves: raw, gzip -9, brotli 11, and what the
emulator sent. Writes bench/results/boot.json (see bench/report.py).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import brotli
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import ROOT, emulator, launch, profile, timed_visit, wait_for_snapshot  # noqa: E402
from report import machine, show, spread, write_section  # noqa: E402

CONNECT = "body[data-ready=true] #connect-button:not([disabled])"
READY = "body[data-session-state=READY]"
# A person who presses Connect the moment it is enabled (the demo then waits for pydantic itself).
CLICK_CONNECT = """new MutationObserver((_, observer) => {
  const button = document.querySelector(%s);
  if (button) { observer.disconnect(); button.click(); }
}).observe(document, { subtree: true, childList: true, attributes: true });""" % json.dumps(CONNECT)
NO_CACHE_STORAGE = "Object.defineProperty(window, 'caches', { value: undefined });"  # as in a non-secure page
# When PyScript asks for Python and when it has it (its py:progress events), by the page's clock.
PYSCRIPT_STEPS = """window.pyscriptSteps = {};
addEventListener("py:progress", ({ detail }) => { window.pyscriptSteps[detail] ??= performance.now(); });"""


def visit(context, url: str, selector: str = "body[data-ready=true]", init_script: str | None = None, keep=False,
          script: str | None = None):
    if init_script:
        context.add_init_script(init_script)  # undone by the context's close: used last in a context
    return timed_visit(context, url, selector, keep, script)


def demo_phases(page, ready_s: float) -> dict[str, float]:
    """Where a demo visit's time went (ms): PyScript's start, Python, then PyScript's files and the
    app's own start (app.py: its imports, config.json, the page wired) until Connect is enabled."""
    steps = page.evaluate("window.pyscriptSteps")
    asked, ready = steps["Loading interpreter"], steps["Loaded interpreter"]
    return {"demo: PyScript's start, until it asks for Python": asked,
            "demo: Python restored (or started, without the snapshot), with the kaltura-avatar wheel": ready - asked,
            "demo: PyScript's files and the app's own start, until Connect is enabled": ready_s * 1000 - ready}


def cold_load_bytes(page, base: str) -> dict:
    """Bytes of every same-origin file the page loaded: raw, gzip -9, brotli 11, as sent."""
    entries = page.evaluate("""() => [performance.getEntriesByType('navigation')[0],
        ...performance.getEntriesByType('resource')].map((e) => [e.name, e.encodedBodySize])""")
    totals = {"raw": 0, "gzip": 0, "brotli": 0, "sent": 0}
    for url, sent in entries:
        if not url.startswith(base):
            continue
        path = urlsplit(url).path
        file = ROOT / ("index.html" if path == "/" else path.lstrip("/"))
        if not file.is_file():
            continue
        data = file.read_bytes()
        totals["raw"] += len(data)
        totals["gzip"] += min(len(data), len(gzip.compress(data, 9)))
        totals["brotli"] += min(len(data), len(brotli.compress(data, quality=11)))
        totals["sent"] += sent
    return totals


def measure(playwright, browser, base: str, runs: int) -> dict[str, list]:
    times: dict[str, list] = {}

    def add(name: str, value) -> None:
        times.setdefault(name, []).append(value)

    def demo_cold_then_warm(context, suffix: str = "", count_bytes: bool = False) -> None:
        elapsed, page = visit(context, base + "/", CONNECT, keep=True)
        add("demo cold" + suffix, elapsed)
        if count_bytes:
            add("bytes", cold_load_bytes(page, base))
        wait_for_snapshot(page)
        page.close()
        elapsed, page = visit(context, base + "/", CONNECT, keep=True, script=PYSCRIPT_STEPS)
        assert any("restored from a memory snapshot" in line for line in page.console_lines), page.console_lines
        add("demo warm" + suffix, elapsed)
        add("demo phases on" + suffix, demo_phases(page, elapsed))
        page.close()

    for run in range(runs):
        with profile(playwright) as context:
            add("bare cold", visit(context, base + "/bench/bare.html")[0])
            add("bare warm", visit(context, base + "/bench/bare.html")[0])
        with profile(playwright) as context:
            add("bytecode cold", visit(context, base + "/bench/bare.html?stdlib=vendored")[0])
            add("bytecode warm", visit(context, base + "/bench/bare.html?stdlib=vendored")[0])
        with profile(playwright) as context:
            demo_cold_then_warm(context, count_bytes=run == 0)
            elapsed, page = visit(context, base + "/bench/facade.html", keep=True)
            page.evaluate("window.benchSession.endSession()")
            page.close()
            add("facade warm", elapsed)
            elapsed, page = visit(context, base + "/", READY, keep=True, script=CLICK_CONNECT)
            page.click("#end-button")
            page.wait_for_selector("body[data-session-state=ENDED]", state="attached")
            page.close()
            add("demo first frame", elapsed)
            for mode in ("on", "off"):
                _, page = visit(context, f"{base}/bench/phases.html?snapshot={mode}", keep=True)
                add(f"phases {mode}", page.evaluate("window.phases"))
                page.close()
            elapsed, page = visit(context, base + "/", CONNECT, init_script=NO_CACHE_STORAGE, keep=True,
                                  script=PYSCRIPT_STEPS)
            add("demo warm, no snapshot", elapsed)
            add("demo phases off", demo_phases(page, elapsed))
            page.close()
            elapsed, page = visit(context, base + "/bench/facade.html", keep=True)
            page.evaluate("window.benchSession.endSession()")
            page.close()
            add("facade warm, no snapshot", elapsed)
        context = browser.new_context()  # incognito: no compiled-code cache
        visit(context, base + "/bench/bare.html")
        add("bare warm, incognito", visit(context, base + "/bench/bare.html")[0])
        demo_cold_then_warm(context, ", incognito")
        context.close()
        print(f"run {run + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in times.items()
                                                    if isinstance(v[-1], float)), file=sys.stderr, flush=True)
    return times


def rows_from(times: dict[str, list]) -> list[dict]:
    s = {name: spread(values) for name, values in times.items() if isinstance(values[0], float)}
    bare_cold, bare_warm = s["bare cold"], s["bare warm"]

    def row(figure, name, baseline_name, target=None, met=None):
        ratio = round(s[name]["median"] / s[baseline_name]["median"], 2)
        return {"figure": figure, "result": f"{show(s[name], 's')}; {ratio}x the baseline",
                "baseline": f"{baseline_name.replace('bare', 'bare Pyodide page,')} {show(s[baseline_name], 's')}",
                "target": target, "met": met, "data": {"result": s[name], "baseline": s[baseline_name], "ratio": ratio}}

    rows = [
        row("nav -> demo usable (Connect enabled), warm, memory snapshot", "demo warm", "bare warm",
            "<= 0.8x bare", s["demo warm"]["median"] <= 0.8 * bare_warm["median"]),
        row("nav -> demo usable, warm, without the snapshot (before)", "demo warm, no snapshot", "bare warm"),
        row("nav -> demo usable, warm, memory snapshot, incognito context (no compiled-code cache)",
            "demo warm, incognito", "bare warm, incognito"),
        row("nav -> demo usable, cold (first visit)", "demo cold", "bare cold", "<= bare + 0.8 s",
            s["demo cold"]["median"] <= bare_cold["median"] + 0.8),
        row("nav -> first avatar frame, JS page via the facade (Pattern 1), warm, memory snapshot",
            "facade warm", "bare warm", "<= 1.0x bare", s["facade warm"]["median"] <= bare_warm["median"]),
        row("nav -> first avatar frame via the facade, warm, without the snapshot (before)",
            "facade warm, no snapshot", "bare warm"),
        row("nav -> first avatar frame, demo, Connect pressed the moment it is enabled, warm, memory snapshot",
            "demo first frame", "bare warm"),
        row("nav -> bare page ready, standard library as bytecode (vendored), cold", "bytecode cold", "bare cold"),
        row("nav -> bare page ready, standard library as bytecode (vendored), warm", "bytecode warm", "bare warm"),
    ]
    for on, off in ((times["phases on"], times["phases off"]), (times["demo phases on"], times["demo phases off"])):
        for (name_on, name_off) in zip(on[0], off[0]):
            with_snap = spread([p[name_on] for p in on], 1 / 1000)
            without = spread([p[name_off] for p in off], 1 / 1000)
            figure = f"boot phase: {name_on}" if name_on == name_off else f"boot phase: {name_on} / {name_off}"
            rows.append({"figure": figure, "result": f"with the snapshot {show(with_snap, 's')}",
                         "baseline": f"without it {show(without, 's')}", "target": None, "met": None,
                         "data": {"result": with_snap, "baseline": without}})
    b = times["bytes"][0]
    mb = {k: round(v / 1e6, 2) for k, v in b.items()}
    rows.append({"figure": "bytes a cold load of the demo moves",
                 "result": f"gzip -9 {mb['gzip']} MB, brotli 11 {mb['brotli']} MB; the emulator sent {mb['sent']} MB",
                 "baseline": f"raw {mb['raw']} MB", "target": "report raw, gzip and brotli", "met": None, "data": b})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    started = machine()
    with emulator() as base, sync_playwright() as p:
        browser = launch(p)
        times = measure(p, browser, base, args.runs)
        browser.close()
    rows = rows_from(times)
    path = write_section("boot", "Boot: the demo and the facade beside a bare Pyodide page", rows, started, [
        "Each run starts browsers on new on-disk profiles, as visitors' own browsers are. Cold: the "
        "first visit. Warm: the same profile again (HTTP cache, Cache Storage and the engine's "
        "compiled-code cache filled). The incognito row is the warm visit in an incognito context, "
        "which keeps no compiled code: Python then runs slower for its first second after a restore.",
        "Times are the page's own clock from navigation start to the moment the page showed it was "
        "ready (a MutationObserver); Playwright's wait returned up to 0.5 s later on the demo page.",
        "The baseline boots Pyodide's standard library as Pyodide releases it (sources, compiled as "
        "they are imported); the SDK's pages boot the vendored one, in which scripts/build_vendor.py "
        "put bytecode in place of the sources. The two bytecode rows are the bare page on it: what "
        "that alone saves.",
        "The demo's phases are its warm visits' own, split at PyScript's py:progress events.",
        "Phases run one after another in bench/pages/phases.html; in a real boot the wheels download "
        "while Pyodide starts, so the phases add up to more than the facade's boot.",
    ])
    for r in rows:
        print(f"{r['figure']}: {r['result']}  [{r['baseline']}]")
    print(f"wrote {path} ({args.runs} runs)")


if __name__ == "__main__":
    main()
