"""Emulator benchmarks on this machine, each number beside a baseline measured in the same run.

    .venv/bin/python bench/bench_emulator.py [--rounds 30] [--sessions 1,4,8,10] [--seconds 4]

Medians of: Control API calls (baseline: a static-file GET on the same server), WHEP POST -> 201 and
offer -> first decoded frame (baseline: the static GET), TTS (say-text of a 5 s sentence, baseline:
keep-alive, the cheapest authenticated call; and say-text -> first loud audio at the viewer), and how
many sessions one process holds at 25 fps: received fps per viewer, late frames, server CPU
(baseline: one session). The viewers run in this process on the same cores, so the capacity figure
is pessimistic. Not run by the test command. Writes bench/results/emulator.json (bench/report.py).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from kaltura_avatar_emulator.viewer import connect  # noqa: E402
from report import machine, write_section  # noqa: E402

CREATE = {"clientId": "bench", "visualConfig": {"id": "avatar-123"}, "voiceConfig": {"id": "voice-456"}}
SENTENCE = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."
LOUD = 0.02
rows: list[tuple[str, str, str]] = []
held: list[int] = []  # session counts held at 25 fps with no late frame


def ms(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:.1f} ms (min {min(values) * 1000:.1f}, "
            f"max {max(values) * 1000:.1f}, n={len(values)})")


def add(metric: str, value: str, baseline: str) -> None:
    rows.append((metric, value, baseline))
    print(f"  {metric}: {value}   [{baseline}]", file=sys.stderr, flush=True)


def start() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", "--test-controls",
                             "--max-sessions", "64", "--log-level", "WARNING"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    m = re.match(r"Serving on (\S+)/", proc.stdout.readline())
    if not m:
        proc.kill()
        sys.exit("emulator did not start")
    return proc, m.group(1)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(http: aiohttp.ClientSession, method: str, url: str, **kw) -> tuple[float, int, object]:
    t = time.perf_counter()
    async with http.request(method, url, **kw) as r:
        body = await r.read()
        status = r.status
    return time.perf_counter() - t, status, body


async def session(http, base) -> tuple[str, dict, str]:
    async with http.post(base + "/v1/avatar-session/create", json=CREATE, headers={"Authorization": "KS bench"}) as r:
        body = await r.json()
    sid, headers = body["sessionId"], {"Authorization": f"Bearer {body['token']}"}
    async with http.post(f"{base}/v1/avatar-session/{sid}/init-client", json={}, headers=headers) as r:
        whep = (await r.json())["whepUrl"]
    return sid, headers, whep


async def bench_http(http, base, rounds: int) -> None:
    static = [(await timed(http, "GET", base + "/pyscript.toml"))[0] for _ in range(rounds)]
    creates, inits, keeps, ends = [], [], [], []
    for _ in range(rounds):
        t, status, _ = await timed(http, "POST", base + "/v1/avatar-session/create", json=CREATE,
                                   headers={"Authorization": "KS bench"})
        creates.append(t)
        sid, headers, _ = await session(http, base)
        inits.append((await timed(http, "POST", f"{base}/v1/avatar-session/{sid}/init-client", json={}, headers=headers))[0])
        keeps.append((await timed(http, "POST", f"{base}/v1/avatar-session/{sid}/keep-alive", json={}, headers=headers))[0])
        ends.append((await timed(http, "POST", f"{base}/v1/avatar-session/{sid}/end", json={}, headers=headers))[0])
        await http.post(base + "/__test__/reset")
    base_txt = f"static GET {ms(static)}"
    add("Control API create", ms(creates), base_txt)
    add("Control API init-client", ms(inits), base_txt)
    add("Control API keep-alive", ms(keeps), base_txt)
    add("Control API end", ms(ends), base_txt)


async def bench_whep_and_tts(http, base, rounds: int) -> None:
    static = [(await timed(http, "GET", base + "/pyscript.toml"))[0] for _ in range(rounds)]
    posts, firsts, says, keeps, hear = [], [], [], [], []
    for i in range(max(5, rounds // 3)):
        sid, headers, whep = await session(http, base)
        t = time.perf_counter()
        viewer = await connect(http, whep)
        posts.append(viewer.posted_in)
        await viewer.wait_frames(1, 10)
        firsts.append(time.perf_counter() - t)
        await asyncio.sleep(0.3)
        keeps.append((await timed(http, "POST", f"{base}/v1/avatar-session/{sid}/keep-alive", json={}, headers=headers))[0])
        t0 = time.time()
        d, status, _ = await timed(http, "POST", f"{base}/v1/avatar-session/{sid}/say-text",
                                   json={"text": SENTENCE, "turnId": f"t{i}", "isFinal": True}, headers=headers)
        says.append(d)
        for _ in range(100):
            loud = viewer.first_loud_after(t0, LOUD)
            if loud:
                hear.append(loud - t0)
                break
            await asyncio.sleep(0.01)
        await viewer.close()
        await http.post(base + "/__test__/reset")
    add("WHEP POST -> 201", ms(posts), f"static GET {ms(static)}")
    add("WHEP offer -> first decoded frame", ms(firsts), f"static GET {ms(static)}")
    add("TTS: say-text of a 5 s sentence (synthesis included)", ms(says), f"keep-alive {ms(keeps)}")
    add("TTS: say-text sent -> loud audio decoded at viewer", ms(hear), f"keep-alive {ms(keeps)}")


async def bench_capacity(http, base, pid: int, counts: list[int], seconds: float) -> None:
    baseline = None
    for n in counts:
        sessions = [await session(http, base) for _ in range(n)]
        viewers = [await connect(http, w, audio=True) for _, _, w in sessions]
        for v in viewers:
            await v.wait_frames(1, 10)
        for sid, headers, _ in sessions:  # everybody talks: the audio path and the mouth are busy too
            await http.post(f"{base}/v1/avatar-session/{sid}/say-text", json={"text": SENTENCE * 2, "turnId": "c"}, headers=headers)
        await asyncio.sleep(1.0)
        before = [len(v.frames) for v in viewers]
        states0 = [await (await http.get(f"{base}/__test__/sessions/{sid}")).json() for sid, _, _ in sessions]
        c0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed, cpu = time.monotonic() - t0, cpu_seconds(pid) - c0
        fps = [(len(v.frames) - b) / elapsed for v, b in zip(viewers, before)]
        states1 = [await (await http.get(f"{base}/__test__/sessions/{sid}")).json() for sid, _, _ in sessions]
        late = sum(s1["frames_late"] - s0["frames_late"] for s0, s1 in zip(states0, states1))
        sent = sum(s1["frames_sent"] - s0["frames_sent"] for s0, s1 in zip(states0, states1))
        value = (f"min {min(fps):.1f} / median {statistics.median(fps):.1f} fps received, "
                 f"{100 * late / max(1, sent):.1f}% late, server CPU {100 * cpu / elapsed:.0f}%")
        if min(fps) >= 24.5 and late == 0:
            held.append(n)
        if baseline is None:
            baseline = f"1st row is the baseline ({n} session)"
        add(f"{n} sessions at 25 fps", value, baseline)
        for v in viewers:
            await v.close()
        await http.post(base + "/__test__/reset")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--sessions", default="1,4,8,10")
    p.add_argument("--seconds", type=float, default=4.0)
    args = p.parse_args()
    proc, base = start()
    started = machine()
    load = started["load_average"]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            print(f"emulator at {base}, {os.cpu_count()} cores, load average {load:.1f}", file=sys.stderr)
            await bench_http(http, base, args.rounds)
            await bench_whep_and_tts(http, base, args.rounds)
            await bench_capacity(http, base, proc.pid, [int(n) for n in args.sessions.split(",")], args.seconds)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"{os.cpu_count()} cores; load average at start {load:.1f}, at end {os.getloadavg()[0]:.1f} "
          "(other work on the machine shows in every number)")
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"{'metric'.ljust(width)}  {'median'.ljust(vwidth)}  baseline (same run)")
    for metric, value, baseline in rows:
        print(f"{metric.ljust(width)}  {value.ljust(vwidth)}  {baseline}")
    section = [{"figure": metric, "result": value, "baseline": baseline, "target": None, "met": None, "data": {}}
               for metric, value, baseline in rows]
    best = max(held, default=0)
    section.append({"figure": "emulator sessions held at 25 fps with 0 % late frames",
                    "result": f"{best} (of the counts tried: {args.sessions})", "baseline": "1 session (first capacity row)",
                    "target": ">= 8", "met": best >= 8, "data": {"held": held}})
    print(f"wrote {write_section('emulator', 'The emulator: Control API, WHEP, TTS, capacity', section, started)}")


if __name__ == "__main__":
    asyncio.run(main())
