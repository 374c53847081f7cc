"""Request guards for a server that may hold a real KS: the Host header, CORS by exact origin,
cross-site requests, and the headers every response carries.

- **Host**: a loopback name or address, the `--host` it listens on, the `--public-url`'s host, or
  a name given with `--allow-host`; any other Host (a DNS-rebinding name that resolves to this
  machine) gets 421 on every route.
- **CORS**: the Control API and WHEP answer any origin, as the live service does (a KS or a token
  is still required). The backend route and the test controls answer only *allowed* origins:
  loopback (`127.0.0.0/8` as an IP address, `[::1]`, `localhost`) on any port, the server's own
  origin, and those given with `--allow-origin`. Never by string prefix.
- **Cross-site requests** to those two are refused with 403 before any work: a foreign `Origin`,
  or `Sec-Fetch-Site: cross-site`/`same-site` without an allowed `Origin` (an `<img>`, a link, a
  `no-cors` fetch). A same-origin fetch, and a client that sends neither header (curl, a script on
  this machine), go through.
- **Headers**: `X-Content-Type-Options: nosniff` on every response, and the Content-Security-Policy
  of `csp.py` on every HTML page (people's pages, `--pages` or `--mount`, may use inline scripts).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp import web

from kaltura_avatar.messages import is_loopback_host

from . import csp
from .backend import BACKEND_PATHS
from .config import Settings
from .context import emulator
from .errors import error_response

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, Accept",
    "Access-Control-Expose-Headers": "Location, ETag, Retry-After",
    "Access-Control-Max-Age": "600",
}
TEST_PREFIX = "/__test__/"
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::\d{1,5})?")


def host_name(value: str | None) -> str | None:
    """The name in a Host header (`name[:port]` or `[v6][:port]`), lower-cased; None if malformed."""
    match = _HOST.fullmatch((value or "").strip())
    if not match:
        return None
    return (match["v6"] or match["name"]).lower()


def allowed_hosts(s: Settings) -> set[str]:
    names = {s.host.strip("[]").lower(), *(h.strip("[]").lower() for h in s.allow_hosts)}
    if s.public_url:
        names.add((urlsplit(s.public_url).hostname or "").lower())
    return names


def host_allowed(request: web.Request, s: Settings) -> bool:
    name = host_name(request.headers.get("Host"))
    return name is not None and (is_loopback_host(name) or name in allowed_hosts(s))


def origin_allowed(origin: str | None, request: web.Request, s: Settings) -> bool:
    """Loopback on any port, this server's own origin, or one given with --allow-origin."""
    parts = urlsplit(origin or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (sandboxed frames, file: pages) included
    normal = f"{parts.scheme}://{parts.netloc}".lower()
    own = f"{request.scheme}://{request.host}".lower()
    return is_loopback_host(parts.hostname) or normal == own or normal in {o.rstrip("/").lower() for o in s.allow_origins}


def is_restricted(path: str) -> bool:
    """The routes that must not serve other sites: the backend route (it spends the server's KS)
    and the test controls (reset, faults, the request log)."""
    return path in BACKEND_PATHS or path.startswith(TEST_PREFIX)


def is_cross_site(request: web.Request, s: Settings) -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        return not origin_allowed(origin, request, s)
    return request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site")


def page_policy(request: web.Request, s: Settings) -> str:
    """The demo's strict policy; people's own pages (`--pages`, `--mount`) get the author's room."""
    mounted = s.pages is not None or any(request.path.startswith(prefix.rstrip("/") + "/") for prefix in s.mounts)
    return csp.policy(connect=tuple(filter(None, [s.upstream_url])), mounted=mounted)


def add_response_headers(headers, request: web.Request, s: Settings) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    if headers.get("Content-Type", "").startswith("text/html"):
        headers["Content-Security-Policy"] = page_policy(request, s)


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    """Host check on every route, cross-site refusal on the restricted ones, then the handler;
    nosniff and the CSP on whatever it answers."""
    s = emulator(request).settings
    if not host_allowed(request, s):
        response = error_response(421, "This server does not answer for that Host name. If you reached it "
                                       "through that name on purpose, start it with --allow-host NAME.")
    elif is_restricted(request.path) and is_cross_site(request, s):
        response = error_response(403, "Cross-site request refused: this route serves only pages of this "
                                       "machine and origins given with --allow-origin.")
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            add_response_headers(exc.headers, request, s)
            raise
    if not response.prepared:
        add_response_headers(response.headers, request, s)
    return response


@web.middleware
async def cors(request: web.Request, handler) -> web.StreamResponse:
    """CORS headers, preflights answered here: `*` on open routes, the exact origin on restricted
    ones (only allowed origins reach those: `guard` refused the rest)."""
    allow = CORS_HEADERS
    origin = request.headers.get("Origin")
    allowed = origin_allowed(origin, request, emulator(request).settings)
    if is_restricted(request.path):
        if not allowed:  # no Origin at all (curl, a same-origin GET): nothing to say
            return await handler(request)
        allow = {**CORS_HEADERS, "Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.method == "OPTIONS":
        headers = dict(allow)
        if asked := request.headers.get("Access-Control-Request-Headers"):
            headers["Access-Control-Allow-Headers"] = asked  # whatever the client sends, e.g. custom ids
        if allowed and request.headers.get("Access-Control-Request-Private-Network"):
            headers["Access-Control-Allow-Private-Network"] = "true"
        return web.Response(status=204, headers=headers)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(allow)
        raise
    if not response.prepared:
        response.headers.update(allow)
    return response
