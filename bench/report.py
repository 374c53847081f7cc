"""The benchmark report: each bench script writes its section, this merges them.

A section is `bench/results/<name>.json` (`write_section`): a title, the machine's cores and load
before and after, and rows, each a figure beside its baseline measured in the same run:

    {"figure": "...", "result": "...", "baseline": "...", "target": "...", "met": true, "data": {...}}

`result`, `baseline` and `target` are text for people; `data` holds the numbers (medians, min,
max, ratios). Any script that writes a section this way (bench_soak.py's soak.json, say) shows
up in the report. A section with no fresh result keeps its last run from the committed
bench/report.json, with that run's date, so running one bench script updates only its section.
`python bench/report.py` writes bench/report.json and bench/report.md (both
committed), sections in the order of SECTIONS, then any others by name.
"""
from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SECTIONS = ["boot", "session", "emulator", "soak"]


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> dict:
    """Median, min and max (times `scale`), rounded, and how many runs."""
    scaled = [v * scale for v in values]

    def rounded(value: float) -> float:
        return round(value, digits) if digits else round(value)  # whole numbers print as such

    return {"median": rounded(statistics.median(scaled)), "min": rounded(min(scaled)),
            "max": rounded(max(scaled)), "runs": len(values)}


def show(s: dict, unit: str) -> str:
    return f"{s['median']} {unit} (min {s['min']}, max {s['max']}, n={s['runs']})"


def machine() -> dict:
    return {"cores": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2)}


def write_section(name: str, title: str, rows: list[dict], started: dict, notes: list[str] = ()) -> Path:
    """Write bench/results/<name>.json; `started` is machine() taken before the runs."""
    RESULTS.mkdir(exist_ok=True)
    section = {
        "title": title,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": started["cores"], "load_before": started["load_average"],
                    "load_after": machine()["load_average"]},
        "rows": rows,
        "notes": list(notes),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(section, indent=1) + "\n")
    return path


def markdown(report: dict) -> str:
    lines = ["# Benchmark report", "",
             "Written by `make bench` (`bench/report.py` merges `bench/results/*.json`). Every figure",
             "stands beside a baseline measured in the same run: these machines are shared and noisy,",
             "so read the ratios, and the load averages, before the absolute times.", ""]
    for name, section in report["sections"].items():
        m = section["machine"]
        lines += [f"## {section['title']}", "",
                  f"`{name}`, {section['date']}, {m['cores']} cores, load average {m['load_before']} before "
                  f"and {m['load_after']} after.", "",
                  "| figure | result | baseline (same run) | target | met |", "|---|---|---|---|---|"]
        for row in section["rows"]:
            met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
            cells = [row["figure"], row["result"], row.get("baseline", ""), row.get("target") or "", met]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines += [""] + [f"- {note}" for note in section.get("notes", [])] + ([""] if section.get("notes") else [])
    return "\n".join(lines).rstrip() + "\n"


def merge() -> dict:
    """Fresh sections from bench/results/; a section not rerun keeps its last committed run (and date)."""
    found = {}
    if (BENCH / "report.json").exists():
        found.update(json.loads((BENCH / "report.json").read_text())["sections"])
    found.update({p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))})
    order = [n for n in SECTIONS if n in found] + sorted(n for n in found if n not in SECTIONS)
    report = {"sections": {name: found[name] for name in order}}
    (BENCH / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    (BENCH / "report.md").write_text(markdown(report))
    return report


if __name__ == "__main__":
    report = merge()
    if not report["sections"]:
        sys.exit("no sections in bench/results/ or bench/report.json: run the bench scripts first (make bench)")
    print(f"bench/report.json and bench/report.md: {', '.join(report['sections'])}")
