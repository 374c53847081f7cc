"""The demo's Content-Security-Policy: one definition for the emulator's header and `make dist`'s `<meta>`.

What PyScript, Pyodide and the SDK need, found by running the demo and the tests under it:
scripts, styles, wasm, wheels and JSON from the page's own origin only; `'wasm-unsafe-eval'` to
compile Pyodide and the wheels' native modules; and `'unsafe-eval'`, because PyScript's core
builds its plugin hooks with `Function(...)` (without it the page stops with an EvalError in
`onBeforeRunAsync` before any Python runs). The favicon is a `data:` URL. WebRTC needs
nothing (CSP does not govern peer connections; the `<video>` plays a MediaStream, not a URL).

`connect-src` (where the page may send requests): its own origin, loopback on any port (a
backend on another local port, as `?backend=` allows), the live service (`*.kaltura.ai`, for a
base URL typed into the demo), and the origins the caller names (the backend a static build
talks to, the emulator's upstream).
"""
from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_SOURCES = ("http://127.0.0.1:*", "http://localhost:*")  # CSP has no syntax for [::1]
LIVE_SERVICE = "https://*.kaltura.ai"
META_IGNORED = ("frame-ancestors",)  # browsers ignore (and warn about) it in a <meta>: a header's job


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme in ("http", "https") and parts.netloc else None


def policy(connect: tuple[str, ...] = (), mounted: bool = False, meta: bool = False) -> str:
    """The policy as a header value (or, with `meta`, as a `<meta>` content: no frame-ancestors).

    `connect`: further origins the page may fetch from (URLs are reduced to their origin).
    `mounted`: a page from a folder served with `--mount` (people's own pages, the tests' pages):
    inline scripts and styles, and requests anywhere, as its author decides; still no code from
    another origin and no framing. The demo needs none of that.
    """
    extra = [o for o in dict.fromkeys(origin_of(u) for u in connect) if o]
    inline = ["'unsafe-inline'"] if mounted else []
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", "'unsafe-eval'", *inline],
        "style-src": ["'self'", *inline],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", "http:", "https:"] if mounted else ["'self'", *LOOPBACK_SOURCES, LIVE_SERVICE, *extra],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items()
                     if not (meta and name in META_IGNORED))
