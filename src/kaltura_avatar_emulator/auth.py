"""KS checks for create, and HS256 JWT session tokens bound to one session id (stdlib only)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from .errors import ApiError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def issue_token(secret: bytes, session_id: str, ttl: float, now: float | None = None) -> str:
    now = time.time() if now is None else now
    claims = {"sid": session_id, "iat": int(now), "exp": int(now + ttl), "jti": secrets.token_hex(8)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}".encode()
    sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{_HEADER}.{payload}.{_b64(sig)}"


def verify_token(secret: bytes, token: str, now: float | None = None) -> dict | None:
    """The claims of a well-signed, unexpired token, else None."""
    try:
        header, payload, sig = token.split(".")
        expected = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        if json.loads(_unb64(header)).get("alg") != "HS256":
            return None
        claims = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sid"), str):
        return None
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= (time.time() if now is None else now):
        return None
    return claims


def split_authorization(value: str | None) -> tuple[str, str]:
    """("ks"|"bearer"|..., credential) from an Authorization header; scheme lower-cased."""
    scheme, _, credential = (value or "").strip().partition(" ")
    return scheme.lower(), credential.strip()


def check_ks(authorization: str | None, accepted: list[str], forbidden: list[str]) -> str:
    """The KS from `KS <ks>` (any case), or ApiError 401/403."""
    scheme, ks = split_authorization(authorization)
    if scheme != "ks" or not ks:
        raise ApiError(401, "Invalid Kaltura Session")
    if ks in forbidden:
        raise ApiError(403, "Kaltura Session not authorized")
    if accepted and ks not in accepted:
        raise ApiError(401, "Invalid Kaltura Session")
    return ks


def bearer_session_id(authorization: str | None, secret: bytes) -> str:
    """The session id a valid `Bearer <jwt>` is bound to, or ApiError 401."""
    scheme, token = split_authorization(authorization)
    claims = verify_token(secret, token) if scheme == "bearer" and token else None
    if claims is None:
        raise ApiError(401, "Invalid or expired token")
    return claims["sid"]
