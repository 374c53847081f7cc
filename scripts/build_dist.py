"""Build dist/: the demo as a self-contained static site, ready for any static host.

    python scripts/build_dist.py [--out DIR] [--backend URL] [--base-url URL] [--no-compress]

What goes in (the same tree the dev server serves, nothing else):
- index.html, pyscript.toml, static/ (the demo's Python, CSS, boot.js, the JS facade
  kaltura-avatar.js) and static/vendor/ (PyScript, Pyodide, the pinned wasm wheels and the
  kaltura-avatar wheel built from src/, with the rewritten pyodide-lock.json);
- static/config.json, written from the options: where the avatar backend lives. The page reads
  it at start, so one build works against any backend; `?backend=URL` in the page address
  overrides it for a single visit.

Every compressible file also gets a `.br` twin (brotli, quality 11 by default) and a `.gz` twin
(gzip -9, fixed mtime), each kept only when it saves 10 % or more, for hosts that serve
precompressed files (nginx `brotli_static`/`gzip_static on`, Caddy `precompressed br gzip`, most
CDNs). Quality 11 takes about half a minute on the 9.6 MB wasm; `--brotli-quality 5` is quick.

Paths in the page are relative, so dist/ can be served from a domain root or a sub-folder.
The backend must allow the page's origin (CORS): the emulator answers `*`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import brotli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

PAGE_FILES = ["index.html", "pyscript.toml"]
STATIC_SKIP_SUFFIXES = {".pyc", ".gz", ".br"}
VENDOR_SKIP = {"stamp.json", "package.json"}
COMPRESSIBLE = {".html", ".toml", ".json", ".js", ".mjs", ".css", ".py", ".wasm", ".zip", ".whl", ".txt", ".svg", ".map"}
MIN_SIZE = 1024
MIN_SAVING = 0.10


def log(msg: str) -> None:
    print(f"[dist] {msg}", flush=True)


def check_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(f"{what} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


def page_config(backend: str | None, base_url: str | None) -> dict:
    """The page's static/config.json: empty values mean "derive from the page's own origin"."""
    config = json.loads((ROOT / "static" / "config.json").read_text())
    if backend:
        config["backend"] = check_url(backend, "--backend")
    if base_url:
        config["baseUrl"] = check_url(base_url, "--base-url")
    return config


def copy_tree(src: Path, dst: Path, skip_names: set[str] = frozenset()) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if "__pycache__" in rel.parts or path.suffix in STATIC_SKIP_SUFFIXES or path.name in skip_names:
            continue
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def precompress(out: Path, brotli_quality: int = 11) -> tuple[int, int, int]:
    """Write .br and .gz twins; return (files, raw bytes, bytes on the wire)."""
    encoders = ((".br", lambda d: brotli.compress(d, quality=brotli_quality)),
                (".gz", lambda d: gzip.compress(d, 9, mtime=0)))
    files = raw_total = wire_total = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix in {".gz", ".br"}:
            continue
        data = path.read_bytes()
        files += 1
        raw_total += len(data)
        best = len(data)
        if path.suffix in COMPRESSIBLE and len(data) >= MIN_SIZE:
            for suffix, encode in encoders:
                packed = encode(data)
                if len(packed) <= len(data) * (1 - MIN_SAVING):
                    path.with_name(path.name + suffix).write_bytes(packed)
                    best = min(best, len(packed))
        wire_total += best
    return files, raw_total, wire_total


def build(out: Path, backend: str | None = None, base_url: str | None = None, compress: bool = True,
          brotli_quality: int = 11) -> dict:
    import build_vendor

    build_vendor.build(ROOT / "static" / "vendor")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in PAGE_FILES:
        shutil.copy2(ROOT / name, out / name)
    static = ROOT / "static"
    copy_tree(static, out / "static", skip_names=set())
    shutil.rmtree(out / "static" / "vendor")
    copy_tree(static / "vendor", out / "static" / "vendor", skip_names=VENDOR_SKIP)
    config = page_config(backend, base_url)
    (out / "static" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    stats = {"config": config}
    if compress:
        files, raw, wire = precompress(out, brotli_quality)
        stats.update(files=files, raw_bytes=raw, wire_bytes=wire)
        log(f"{files} files, {raw / 1e6:.1f} MB raw, {wire / 1e6:.1f} MB with precompressed twins (brotli + gzip)")
    log(f"built {out} (backend: {config.get('backend') or 'the page origin'})")
    return stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default dist/; replaced)")
    p.add_argument("--backend", default=None, metavar="URL",
                   help="origin of the avatar backend, e.g. http://127.0.0.1:8000 (default: the page's own origin)")
    p.add_argument("--base-url", default=None, metavar="URL",
                   help="Control API base URL (default: BACKEND/v1/avatar-session)")
    p.add_argument("--no-compress", action="store_true", help="skip the .gz/.br twins")
    p.add_argument("--brotli-quality", type=int, default=11, choices=range(12), metavar="0-11",
                   help="brotli level of the .br twins (default 11, the smallest; 5 is quick)")
    args = p.parse_args()
    build(args.out.resolve(), args.backend, args.base_url, compress=not args.no_compress,
          brotli_quality=args.brotli_quality)


if __name__ == "__main__":
    main()
