"""Where the avatar backend is: static/config.json, then the page's query string, then defaults.

config.json (every key optional; empty means "derive it"):
    backend          origin of the avatar backend (default: the page's own origin)
    baseUrl          Control API base (default: {backend}/v1/avatar-session)
    sessionEndpoint  "my backend creates it" URL (default: {backend}/api/create-avatar-session)
    ks               the KS field's initial value (a demo value; never put a real KS in a deployed file)
    mode             "sdk" or "backend"
    logLevel         the SDK's log level
The query string may override backend, baseUrl, sessionEndpoint, mode and logLevel (never the KS:
secrets do not go in URLs), e.g. `?backend=http://127.0.0.1:8000`. A URL from the query string is
honoured only when it names this machine (a loopback host) or the page's own origin: a link must
not be able to send the KS, or the backend's session token, to a host of its choosing. Others are
ignored and listed in `PageSettings.ignored`, so the page can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from kaltura_avatar.messages import is_loopback_host

QUERY_KEYS = ("backend", "baseUrl", "sessionEndpoint", "mode", "logLevel")
URL_KEYS = ("backend", "baseUrl", "sessionEndpoint")
DEFAULT_KS = "your-kaltura-session"


@dataclass(frozen=True)
class PageSettings:
    backend: str
    base_url: str
    session_endpoint: str
    ks: str
    mode: str
    log_level: str
    ignored: tuple[str, ...] = ()  # query-string keys not honoured (their URL is elsewhere)

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


def is_loopback(url: str) -> bool:
    """http(s) on `localhost`, 127.0.0.0/8 or [::1], compared as names and addresses, not prefixes."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and is_loopback_host(parts.hostname)


def may_override(url: str, page_origin: str) -> bool:
    """A URL from the query string is honoured only on this machine or the page's own origin
    (an empty one just means "derive it")."""
    try:
        return not url or is_loopback(url) or (bool(origin(url)) and origin(url) == origin(page_origin))
    except ValueError:  # e.g. an unclosed [ in the host
        return False


def _clean(value) -> str:
    return value.strip().rstrip("/") if isinstance(value, str) else ""


def resolve(config: dict, query: dict[str, str], page_origin: str) -> PageSettings:
    """Merge config.json and the query string over the defaults.

    >>> resolve({}, {}, "http://127.0.0.1:8000").base_url
    'http://127.0.0.1:8000/v1/avatar-session'
    >>> resolve({"backend": "http://a:1"}, {"backend": "http://127.0.0.1:2"}, "http://p").session_endpoint
    'http://127.0.0.1:2/api/create-avatar-session'
    >>> resolve({}, {"baseUrl": "https://elsewhere.example/v1"}, "http://127.0.0.1:8000").ignored
    ('baseUrl',)
    """
    merged = {k: v for k, v in (config or {}).items() if isinstance(v, str)}
    ignored = tuple(k for k in URL_KEYS if k in query and not may_override(_clean(query[k]), page_origin))
    merged.update({k: v for k, v in query.items() if k in QUERY_KEYS and k not in ignored})
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
        ignored=ignored,
    )
