"""Where the avatar backend is: static/config.json, then the page's query string, then defaults.

config.json (every key optional; empty means "derive it"):
    backend          origin of the avatar backend (default: the page's own origin)
    baseUrl          Control API base (default: {backend}/v1/avatar-session)
    sessionEndpoint  "my backend creates it" URL (default: {backend}/api/create-avatar-session)
    ks               the KS field's initial value (a demo value; never put a real KS in a deployed file)
    mode             "sdk" or "backend"
    logLevel         the SDK's log level
The query string may override backend, baseUrl, sessionEndpoint, mode and logLevel (never the KS:
secrets do not go in URLs), e.g. `?backend=http://127.0.0.1:8000`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

QUERY_KEYS = ("backend", "baseUrl", "sessionEndpoint", "mode", "logLevel")
DEFAULT_KS = "your-kaltura-session"


@dataclass(frozen=True)
class PageSettings:
    backend: str
    base_url: str
    session_endpoint: str
    ks: str
    mode: str
    log_level: str

    @property
    def catalog_url(self) -> str:
        return catalog_url(self.base_url)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def catalog_url(base_url: str) -> str:
    """The catalog lives on the Control API's host: {origin}/v1/catalog-item/list."""
    host = origin(base_url)
    return f"{host}/v1/catalog-item/list" if host else ""


def _clean(value) -> str:
    return value.strip().rstrip("/") if isinstance(value, str) else ""


def resolve(config: dict, query: dict[str, str], page_origin: str) -> PageSettings:
    """Merge config.json and the query string over the defaults.

    >>> resolve({}, {}, "http://127.0.0.1:8000").base_url
    'http://127.0.0.1:8000/v1/avatar-session'
    >>> resolve({"backend": "http://a:1"}, {"backend": "http://b:2"}, "http://p").session_endpoint
    'http://b:2/api/create-avatar-session'
    """
    merged = {k: v for k, v in (config or {}).items() if isinstance(v, str)}
    merged.update({k: v for k, v in query.items() if k in QUERY_KEYS})
    backend = _clean(merged.get("backend")) or page_origin
    mode = merged.get("mode") if merged.get("mode") in ("sdk", "backend") else "sdk"
    level = merged.get("logLevel") if merged.get("logLevel") in ("debug", "info", "warn", "error") else "info"
    return PageSettings(
        backend=backend,
        base_url=_clean(merged.get("baseUrl")) or f"{backend}/v1/avatar-session",
        session_endpoint=_clean(merged.get("sessionEndpoint")) or f"{backend}/api/create-avatar-session",
        ks=merged.get("ks") or DEFAULT_KS,
        mode=mode,
        log_level=level,
    )
