"""Static file serving: the demo page (or a folder of your pages), the runtime at /kaltura-avatar/,
mounts, MIME types, revalidation, and compressed bodies (brotli, else gzip) for browsers that
accept them."""
from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import brotli
from aiohttp import web

from .config import RUNTIME_FILES, RUNTIME_PREFIX

MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".toml": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".tar": "application/x-tar",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
}
FALLBACK = "application/octet-stream"


def safe_join(folder: Path, relative: str) -> Path | None:
    """The file `relative` inside `folder`, or None if it would escape it or is not a file."""
    if "\x00" in relative or "\\" in relative:
        return None
    base = folder.resolve()
    try:
        target = (base / relative.lstrip("/")).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if target != base and base not in target.parents:
        return None
    return target if target.is_file() else None


# --- compressed bodies --------------------------------------------------------------
# A `.br` or `.gz` twin next to a file (as `make dist` writes them) is served by aiohttp's
# FileResponse itself when the browser accepts it. Other compressible files are compressed once
# (brotli at a fast level, else gzip) and kept in memory while they stay unchanged.
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".toml", ".py", ".txt", ".md", ".svg", ".wasm", ".whl", ".zip"}
MIN_SIZE = 1024
MEMORY_LIMIT = 64 * 2**20
ENCODERS = {"br": lambda data: brotli.compress(data, quality=5), "gzip": lambda data: gzip.compress(data, 6, mtime=0)}
_compressed: dict[tuple[Path, str], tuple[str, bytes]] = {}  # (file, encoding) -> (etag, body)


def accepted_encoding(path: Path, accept_encoding: str) -> str | None:
    """The encoding to compress `path` with for this request, or None to send it as it is."""
    if path.suffix.lower() not in COMPRESSIBLE or any(path.with_name(path.name + t).is_file() for t in (".br", ".gz")):
        return None
    offered = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    return next((name for name in ENCODERS if name in offered), None)


async def compressed_response(request: web.Request, path: Path, encoding: str, headers: dict) -> web.StreamResponse | None:
    """The compressed body (200, or 304 when the browser's copy is current); None if too small."""
    stat = path.stat()
    if stat.st_size < MIN_SIZE:
        return None
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}-{encoding}"'
    cached = _compressed.get((path, encoding))
    if cached is None or cached[0] != etag:
        body = await asyncio.get_running_loop().run_in_executor(None, lambda: ENCODERS[encoding](path.read_bytes()))
        while _compressed and sum(len(b) for _, b in _compressed.values()) + len(body) > MEMORY_LIMIT:
            _compressed.pop(next(iter(_compressed)))
        cached = _compressed[(path, encoding)] = (etag, body)
    headers = {**headers, "ETag": etag}
    if etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        return web.Response(status=304, headers=headers)
    return web.Response(body=cached[1], headers={**headers, "Content-Encoding": encoding})


async def file_response(request: web.Request, path: Path | None) -> web.StreamResponse:
    """A FileResponse (ETag, Last-Modified, 304, Range) with our MIME map and no-cache, or the
    file compressed when the browser accepts brotli or gzip."""
    if path is None:
        raise web.HTTPNotFound(text="Not found")
    headers = {
        "Content-Type": MIME.get(path.suffix.lower(), FALLBACK),
        "Cache-Control": "no-cache",
    }
    if path.suffix.lower() in COMPRESSIBLE:
        headers["Vary"] = "Accept-Encoding"
    encoding = accepted_encoding(path, request.headers.get("Accept-Encoding", ""))
    if encoding and (response := await compressed_response(request, path, encoding, headers)):
        return response
    return web.FileResponse(path, headers=headers)


def add_static_routes(app: web.Application, root: Path, mounts: dict[str, Path], pages: Path | None = None) -> None:
    """`/` -> index.html, `/pyscript.toml`, `/static/...` (with `pages`: every path from that
    folder instead of the demo), `/kaltura-avatar/...` (the runtime), and every `/prefix/...` mount.

    aiohttp tries the most specific prefix first, so the pages' catch-all never hides another route.
    """

    async def index(request: web.Request) -> web.StreamResponse:
        return await file_response(request, safe_join(root, "index.html"))

    async def pyscript_toml(request: web.Request) -> web.StreamResponse:
        return await file_response(request, safe_join(root, "pyscript.toml"))

    def folder_handler(folder: Path):
        async def handler(request: web.Request) -> web.StreamResponse:
            rel = request.match_info["path"]
            if rel == "" or rel.endswith("/"):
                rel += "index.html"
            return await file_response(request, safe_join(folder, rel))

        return handler

    async def runtime(request: web.Request) -> web.StreamResponse:
        rel = request.match_info["path"]
        if rel in RUNTIME_FILES:
            return await file_response(request, safe_join(root / "static", rel))
        if rel.startswith("vendor/"):
            return await file_response(request, safe_join(root / "static" / "vendor", rel.removeprefix("vendor/")))
        raise web.HTTPNotFound(text="Not found")  # the demo's own files stay out of it

    app.router.add_get(RUNTIME_PREFIX + "{path:.*}", runtime)
    if pages is not None:
        app.router.add_get("/{path:.*}", folder_handler(pages))
    else:
        app.router.add_get("/", index)
        app.router.add_get("/pyscript.toml", pyscript_toml)
        app.router.add_get("/static/{path:.*}", folder_handler(root / "static"))
    for prefix, folder in mounts.items():
        app.router.add_get(prefix.rstrip("/") + "/{path:.*}", folder_handler(folder))
