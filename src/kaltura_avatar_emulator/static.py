"""Static file serving: the demo page (or a folder of your pages), the runtime at /kaltura-avatar/,
mounts, MIME types, revalidation."""
from __future__ import annotations

from pathlib import Path

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


def file_response(path: Path | None) -> web.StreamResponse:
    """A FileResponse (ETag, Last-Modified, 304, Range) with our MIME map and no-cache."""
    if path is None:
        raise web.HTTPNotFound(text="Not found")
    headers = {
        "Content-Type": MIME.get(path.suffix.lower(), FALLBACK),
        "Cache-Control": "no-cache",
    }
    return web.FileResponse(path, headers=headers)


def add_static_routes(app: web.Application, root: Path, mounts: dict[str, Path], pages: Path | None = None) -> None:
    """`/` -> index.html, `/pyscript.toml`, `/static/...` (with `pages`: every path from that
    folder instead of the demo), `/kaltura-avatar/...` (the runtime), and every `/prefix/...` mount.

    aiohttp tries the most specific prefix first, so the pages' catch-all never hides another route.
    """

    async def index(_: web.Request) -> web.StreamResponse:
        return file_response(safe_join(root, "index.html"))

    async def pyscript_toml(_: web.Request) -> web.StreamResponse:
        return file_response(safe_join(root, "pyscript.toml"))

    def folder_handler(folder: Path):
        async def handler(request: web.Request) -> web.StreamResponse:
            rel = request.match_info["path"]
            if rel == "" or rel.endswith("/"):
                rel += "index.html"
            return file_response(safe_join(folder, rel))

        return handler

    async def runtime(request: web.Request) -> web.StreamResponse:
        rel = request.match_info["path"]
        if rel in RUNTIME_FILES:
            return file_response(safe_join(root / "static", rel))
        if rel.startswith("vendor/"):
            return file_response(safe_join(root / "static" / "vendor", rel.removeprefix("vendor/")))
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
