"""Named routes: the API modules register their handlers with ``add_route``, which records each
route's name in an app-level table, and ``route_name_of`` tells which named route a request
matched (as aiohttp resolved it, never re-parsed from the path). The names are those of the test
controls' faults (``faults.ROUTES``); aiohttp's own route names cannot serve, as they must be
unique and one name (create, whep-post, ...) covers several paths.
"""
from __future__ import annotations

from aiohttp import web

ROUTE_NAMES: web.AppKey[dict[web.AbstractRoute, str]] = web.AppKey("route_names", dict)


def add_route(app: web.Application, method: str, path: str, handler, *, name: str | None = None) -> web.AbstractRoute:
    route = app.router.add_route(method, path, handler)
    if name is not None:
        app.setdefault(ROUTE_NAMES, {})[route] = name
    return route


def route_name_of(request: web.Request) -> str | None:
    """The name of the route ``request`` matched; None for an unnamed route, a 404 or a 405."""
    return request.app.get(ROUTE_NAMES, {}).get(request.match_info.route)
