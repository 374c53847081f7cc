"""Keep secrets (KS, tokens, Authorization) out of logs and the request log."""
from __future__ import annotations

import re
from collections.abc import Mapping

SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-kaltura-ks"}
SECRET_KEYS = {"ks", "token", "secret", "credential", "password", "apikey", "api_key"}
_QUERY_SECRET = re.compile(r"(?i)\b(ks|token|secret|credential|password|api_?key)=[^&]*")


def headers(h: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in h.items()}


def query(qs: str) -> str:
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=<redacted>", qs)


def body(value: object) -> object:
    """A JSON value with secret-named keys replaced."""
    if isinstance(value, dict):
        return {k: ("<redacted>" if str(k).lower() in SECRET_KEYS else body(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [body(v) for v in value]
    return value
