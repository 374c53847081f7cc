"""Reading request bodies: size limits (413), JSON (400/415), multipart form data."""
from __future__ import annotations

import email.parser
import email.policy
import json
from dataclasses import dataclass

from aiohttp import web

from .errors import ApiError

JSON_LIMIT = 64 * 1024
JSON_TYPES = {"application/json", "text/plain", "application/octet-stream"}


async def read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "Request body too large")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request body too large") from None
    if len(raw) > limit:
        raise ApiError(413, "Request body too large")
    return raw


async def json_body(request: web.Request) -> dict:
    """The JSON object in the body ({} when empty)."""
    raw = await read_limited(request, JSON_LIMIT)
    if not raw.strip():
        return {}
    ctype = request.content_type
    if ctype not in JSON_TYPES and not ctype.endswith("+json"):
        raise ApiError(415, "Content-Type must be application/json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON body") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON body must be an object")
    return body


@dataclass
class Part:
    name: str
    data: bytes
    filename: str | None
    content_type: str


def parse_multipart(content_type_header: str, raw: bytes) -> dict[str, Part]:
    """Form parts by name, from the raw multipart/form-data body."""
    head = f"Content-Type: {content_type_header}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not msg.is_multipart():
        raise ApiError(400, "Malformed multipart body")
    parts: dict[str, Part] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        parts[str(name)] = Part(str(name), data, part.get_filename(), part.get_content_type())
    return parts


def describe(request: web.Request, raw: bytes) -> object:
    """A request body for the request log: JSON decoded, form fields listed, else a short note."""
    ctype = request.content_type
    if not raw:
        return None
    if ctype == "application/json" or ctype.endswith("+json") or raw[:1] in (b"{", b"["):
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            pass
    if ctype == "multipart/form-data":
        try:
            parts = parse_multipart(request.headers.get("Content-Type", ""), raw)
            return {
                p.name: (f"<file {p.filename or ''} {p.content_type}, {len(p.data)} bytes>" if p.filename else p.data.decode(errors="replace")[:200])
                for p in parts.values()
            }
        except Exception:
            pass
    return f"<{ctype}, {len(raw)} bytes>"
