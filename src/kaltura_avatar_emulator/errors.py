"""The API error type and its JSON shape: {"success": false, "error": "..."}."""
from __future__ import annotations

from aiohttp import web


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"success": False, "error": message}, status=status, headers=headers)


def ok(**fields: object) -> web.Response:
    return web.json_response({"success": True, **fields})
