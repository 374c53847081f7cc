"""Build dist/: the demo (or your own pages) as a self-contained static site, ready for any static host.

    python scripts/build_dist.py [--out DIR] [--backend URL] [--base-url URL] [--no-compress]
    python scripts/build_dist.py --pages DIR [--out DIR] [--no-compress]

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

index.html gets the demo's Content-Security-Policy as a `<meta>` (the emulator's own, from
kaltura_avatar_emulator/csp.py, with the backend's origin in `connect-src`); a `<meta>` cannot
carry `frame-ancestors`, so a host that can set headers should send the policy as a header.

With --pages DIR, dist/ is your folder instead of the demo, with the runtime beside your pages
in kaltura-avatar/ (kaltura-avatar.js, pyodide-snapshot.mjs, vendor/): the path the emulator
serves it at with --pages, so the same pages work on both. Your pages name their backend.

Paths in the page are relative, so dist/ can be served from a domain root or a sub-folder.
The backend must allow the page's origin (CORS): the Control API answers `*`, the emulator's
backend route answers loopback origins and those given with `--allow-origin`.
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
sys.path.insert(0, str(ROOT / "src"))

from kaltura_avatar_emulator.config import RUNTIME_FILES, RUNTIME_PREFIX  # noqa: E402  (one contract)

RUNTIME_DIR = RUNTIME_PREFIX.strip("/")  # kaltura-avatar/, next to your pages

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


def add_policy_meta(page: Path, config: dict) -> None:
    """Put the CSP `<meta>` first in <head>, after the charset, before any script."""
    from kaltura_avatar_emulator import csp

    content = csp.policy(connect=(config.get("backend") or "", config.get("baseUrl") or ""), meta=True)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content}">'
    html = page.read_text()
    charset = '<meta charset="utf-8">'
    if charset not in html:
        raise SystemExit(f"{page} has no {charset} to put the policy after")
    page.write_text(html.replace(charset, f"{charset}\n  {meta}", 1))


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


def copy_runtime(dst: Path) -> None:
    """What your pages load, from static/: the JS facade, the snapshot wrapper (when present), vendor/."""
    static = ROOT / "static"
    dst.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        if (static / name).is_file():
            shutil.copy2(static / name, dst / name)
    copy_tree(static / "vendor", dst / "vendor", skip_names=VENDOR_SKIP)


def check_pages(pages: Path, out: Path, backend: str | None, base_url: str | None) -> None:
    if not pages.is_dir():
        raise SystemExit(f"--pages {pages}: not a folder")
    if out == pages or out in pages.parents or pages in out.parents:
        raise SystemExit(f"--out {out} and --pages {pages} must not hold one another (the build replaces --out)")
    if backend or base_url:
        raise SystemExit("--backend and --base-url configure the demo; your pages name their backend themselves")


def build(out: Path, backend: str | None = None, base_url: str | None = None, compress: bool = True,
          pages: Path | None = None, brotli_quality: int = 11) -> dict:
    import build_vendor

    if pages is not None:
        check_pages(pages, out, backend, base_url)
    build_vendor.build(ROOT / "static" / "vendor")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if pages is not None:
        copy_tree(pages, out)
        shutil.rmtree(out / RUNTIME_DIR, ignore_errors=True)  # an older copy of the runtime
        copy_runtime(out / RUNTIME_DIR)
        config = None
    else:
        for name in PAGE_FILES:
            shutil.copy2(ROOT / name, out / name)
        static = ROOT / "static"
        copy_tree(static, out / "static", skip_names=set())
        shutil.rmtree(out / "static" / "vendor")
        copy_tree(static / "vendor", out / "static" / "vendor", skip_names=VENDOR_SKIP)
        config = page_config(backend, base_url)
        (out / "static" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        add_policy_meta(out / "index.html", config)
    stats = {"config": config}
    if compress:
        files, raw, wire = precompress(out, brotli_quality)
        stats.update(files=files, raw_bytes=raw, wire_bytes=wire)
        log(f"{files} files, {raw / 1e6:.1f} MB raw, {wire / 1e6:.1f} MB with precompressed twins (brotli + gzip)")
    if pages is not None:
        log(f"built {out}: your pages from {pages}, the runtime in {RUNTIME_DIR}/")
    else:
        log(f"built {out} (backend: {config.get('backend') or 'the page origin'})")
    return stats


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default dist/; replaced)")
    p.add_argument("--backend", default=None, metavar="URL",
                   help="origin of the avatar backend, e.g. http://127.0.0.1:8000 (default: the page's own origin)")
    p.add_argument("--base-url", default=None, metavar="URL",
                   help="Control API base URL (default: BACKEND/v1/avatar-session)")
    p.add_argument("--pages", type=Path, default=None, metavar="DIR",
                   help=f"build from your folder of pages instead of the demo, the runtime beside them in {RUNTIME_DIR}/")
    p.add_argument("--no-compress", action="store_true", help="skip the .gz/.br twins")
    p.add_argument("--brotli-quality", type=int, default=11, choices=range(12), metavar="0-11",
                   help="brotli level of the .br twins (default 11, the smallest; 5 is quick)")
    args = p.parse_args()
    build(args.out.resolve(), args.backend, args.base_url, compress=not args.no_compress,
          pages=args.pages.resolve() if args.pages else None, brotli_quality=args.brotli_quality)


if __name__ == "__main__":
    main()
