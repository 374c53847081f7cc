"""Sessions in the browser through the facade, each figure beside a baseline from the same run.

    .venv/bin/python bench/bench_session.py [--runs 5] [--frame-runs 21] [--cycles 50]

- create_session() -> first decoded frame, against a minimal plain JavaScript client doing create,
  init-client and WHEP by hand (bench/pages/session.html), same emulator: after one untimed
  session of each, 21 pairs, each client going first in turn.
- say_text -> speakingStart and speech end -> speakingEnd, against the emulator's own timestamps
  of the first and last audio it sent for the turn; interrupt -> speakingEnd likewise; and how
  many start/end pairs each utterance gave.
- N create/end cycles in one page: JS heap growth after a forced GC (baseline: after the first
  cycle), and after every end the live proxies, open peer connections and emulator sessions.
Writes bench/results/session.json (see bench/report.py).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import emulator, get_json, launch, timed_visit  # noqa: E402
from report import machine, show, spread, write_section  # noqa: E402

SENTENCE = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."
LONG = " ".join([SENTENCE] * 4)

# In the page: one SDK session, created and ready; window.s and an event clock.
OPEN = """async () => {
  window.s = new sdk.KalturaAvatarSession('your-kaltura-session', { baseUrl: `${location.origin}/v1/avatar-session` });
  window.seen = [];
  const now = () => performance.timeOrigin + performance.now();
  for (const name of ['speakingStart', 'speakingEnd']) s.on(name, () => seen.push([name, now()]));
  await s.createSession({ avatarId: 'avatar-123', voiceId: 'voice-456', videoContainerId: 'avatar-container' });
  return s.getSessionId();
}"""
SAY = """async ([text, turn, interrupt]) => {
  seen.length = 0;
  await s.sayText(text, turn);
  if (!interrupt) return null;
  await new Promise((resolve) => s.once('speakingStart', resolve));
  const interrupted = performance.timeOrigin + performance.now();
  await s.interrupt();
  return interrupted;
}"""
CYCLE = """async () => {
  const session = new sdk.KalturaAvatarSession('your-kaltura-session', { baseUrl: `${location.origin}/v1/avatar-session` });
  const started = performance.now();
  await session.createSession({ avatarId: 'avatar-123', voiceId: 'voice-456', videoContainerId: 'avatar-container' });
  const firstFrame = performance.now() - started;
  await session.endSession();
  const open = window.peerConnections.filter((pc) => pc.connectionState !== 'closed').length;
  const proxies = runtime.pyodide.runPython('from kaltura_avatar.browser import interop; interop.live_proxies()');
  return { firstFrame, open, proxies };
}"""


def active_sessions(base: str) -> int:
    return sum(s["state"] == "active" for s in get_json(base + "/__test__/sessions"))


def first_frames(page, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds, each client in turn going first (the first WebRTC session of a page costs the
    browser more), after one untimed session of each."""
    sdk, plain = [], []
    page.evaluate(CYCLE)
    page.evaluate("plainFirstFrame()")
    for run in range(runs):
        for client in (("sdk", "plain") if run % 2 == 0 else ("plain", "sdk")):
            if client == "sdk":
                sdk.append(page.evaluate(CYCLE)["firstFrame"])
            else:
                plain.append(page.evaluate("plainFirstFrame()"))
    return sdk, plain


def speech(page, base: str, runs: int) -> dict[str, list[float]]:
    session_id = page.evaluate(OPEN)
    out: dict[str, list[float]] = {"start": [], "end": [], "interrupt": [], "interrupt vs sent": [], "pairs": []}
    for i in range(2 * runs):
        interrupt = i >= runs
        turn = f"bench-{i}"
        interrupted = page.evaluate(SAY, [LONG if interrupt else SENTENCE, turn, interrupt])
        record = None
        for _ in range(600):  # until the emulator has sent the turn's last audio (at most a minute)
            records = get_json(f"{base}/__test__/sessions/{session_id}")["speech"]
            record = next((r for r in records if r["turn_id"] == turn and r["end"]), None)
            if record:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(1500)  # time for the page's detector to say speakingEnd (and any second one)
        events = page.evaluate("seen")
        starts = [t / 1000 for name, t in events if name == "speakingStart"]
        ends = [t / 1000 for name, t in events if name == "speakingEnd"]
        out["pairs"].append(float(len(starts) == 1 and len(ends) == 1))
        if interrupt:
            after = [t for t in ends if t >= interrupted / 1000]
            out["interrupt"].append(after[0] - interrupted / 1000)
            out["interrupt vs sent"].append(after[0] - record["end"])
        else:
            out["start"].append(starts[0] - record["start"])
            out["end"].append(ends[-1] - record["end"])
    page.evaluate("s.endSession()")
    return out


def cycles(page, cdp, base: str, count: int) -> dict:
    heap, leftovers = [], []
    for _ in range(count):
        result = page.evaluate(CYCLE)
        cdp.send("HeapProfiler.collectGarbage")
        heap.append(cdp.send("Runtime.getHeapUsage")["usedSize"])
        leftovers.append(result["open"] + result["proxies"] + active_sessions(base))
    return {"growth_mb": round((heap[-1] - heap[0]) / 2**20, 2), "first_mb": round(heap[0] / 2**20, 2),
            "max_leftovers": max(leftovers), "cycles": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frame-runs", type=int, default=21, help="create -> first frame pairs (each ~0.3 s; ~100 ms figures are noisy)")
    parser.add_argument("--cycles", type=int, default=50)
    args = parser.parse_args()
    started = machine()
    with emulator() as base, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context()
        _, page = timed_visit(context, base + "/bench/session.html", keep=True)
        sdk, plain = first_frames(page, args.frame_runs)
        said = speech(page, base, args.runs)
        cdp = context.new_cdp_session(page)
        cyc = cycles(page, cdp, base, args.cycles)
        browser.close()
    sdk_s, plain_s = spread(sdk, 1, 0), spread(plain, 1, 0)
    ratio = round(statistics.median(sdk) / statistics.median(plain), 2)
    ms = {name: spread(values, 1000, 0) for name, values in said.items() if name != "pairs"}
    pairs_ok = all(said["pairs"])
    rows = [
        {"figure": "create_session() -> first decoded frame", "result": f"{show(sdk_s, 'ms')}; {ratio}x the baseline",
         "baseline": f"plain JS client (create, init-client, WHEP) {show(plain_s, 'ms')}", "target": "<= 1.3x",
         "met": ratio <= 1.3, "data": {"result": sdk_s, "baseline": plain_s, "ratio": ratio}},
        {"figure": "say_text -> speakingStart", "result": show(ms["start"], "ms"),
         "baseline": "the emulator's first audio sent for the turn", "target": "median <= 250 ms",
         "met": ms["start"]["median"] <= 250, "data": ms["start"]},
        {"figure": "speech end -> speakingEnd", "result": show(ms["end"], "ms"),
         "baseline": "the emulator's last audio sent for the turn", "target": "median <= 400 ms",
         "met": ms["end"]["median"] <= 400, "data": ms["end"]},
        {"figure": "interrupt -> speakingEnd", "result": f"{show(ms['interrupt'], 'ms')} after the call",
         "baseline": f"the emulator's last audio sent: {show(ms['interrupt vs sent'], 'ms')} after it",
         "target": "median <= 400 ms", "met": ms["interrupt"]["median"] <= 400,
         "data": {"after_call": ms["interrupt"], "after_last_audio": ms["interrupt vs sent"]}},
        {"figure": "speakingStart/speakingEnd pairs per utterance", "result": "exactly one each time" if pairs_ok
         else f"{said['pairs'].count(0.0)} of {len(said['pairs'])} utterances had more or fewer",
         "baseline": f"{len(said['pairs'])} utterances", "target": "exactly one pair", "met": pairs_ok, "data": said["pairs"]},
        {"figure": f"{cyc['cycles']} create/end cycles in one page: JS heap growth",
         "result": f"{cyc['growth_mb']} MB; live proxies + open peer connections + emulator sessions after "
                   f"each end: at most {cyc['max_leftovers']}",
         "baseline": f"the heap after the first cycle, {cyc['first_mb']} MB", "target": "<= 5 MB; 0 left after each end",
         "met": cyc["growth_mb"] <= 5 and cyc["max_leftovers"] == 0, "data": cyc},
    ]
    path = write_section("session", "Sessions through the facade, beside a plain client and the emulator's clock",
                         rows, started, ["Browser and emulator share this machine's clock; the emulator's speech "
                                         "timestamps are when it put the turn's first and last audio into a frame.",
                                         "create_session() -> first frame is 0.05-0.2 s by machine, a ratio that moves from "
                                         "run to run on a shared 2-core machine (1.2x-1.9x seen), hence 21 pairs. The SDK's "
                                         "extra time is main-thread Python (calls into JS, event-loop turns), so it "
                                         "grows on a slower or busier machine; the browser is driven over DevTools, "
                                         "where each console line costs ~2 ms."])
    for r in rows:
        print(f"{r['figure']}: {r['result']}  [{r['baseline']}]")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
