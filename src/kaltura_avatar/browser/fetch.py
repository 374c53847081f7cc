"""HTTP over the browser's ``fetch``: the SDK's ``HttpClient`` port.

A timeout or a cancelled task aborts the request (``AbortController``); no cookies are sent
(``credentials: "omit"``) and nothing is cached. ``send_and_forget`` uses ``keepalive`` so a
request started while the tab closes still reaches the server.

>>> http = FetchHttp()                                                      # doctest: +SKIP
>>> answer = await http.request("POST", url, headers={}, body="{}", timeout=10)  # doctest: +SKIP
>>> answer.status, answer.header("content-type")                            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ..ports import HttpResponse, TransportError
from .interop import JsException, error_name, ignore_rejection, js, js_object, to_js


class FetchHttp:
    """``HttpClient`` over ``fetch``: a timeout aborts the request; so does cancellation."""

    @staticmethod
    def _init(method: str, headers: Mapping[str, str], body: bytes | str | None, keepalive: bool, signal: Any = None) -> Any:
        init: dict[str, Any] = {
            "method": method,
            "headers": dict(headers),
            "credentials": "omit",
            "cache": "no-store",
            "redirect": "follow",
            "keepalive": keepalive,
        }
        if body is not None:
            init["body"] = to_js(body) if isinstance(body, (bytes, bytearray)) else body
        if signal is not None:
            init["signal"] = signal
        return js_object(init)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | str | None,
        timeout: float,
        keepalive: bool = False,
    ) -> HttpResponse:
        controller = js.AbortController.new()
        try:
            async with asyncio.timeout(timeout):
                response = await js.fetch(url, self._init(method, headers, body, keepalive, controller.signal))
                text = await response.text()
        except TimeoutError:
            controller.abort()
            raise TransportError(f"{method} timed out after {timeout:g} s", timeout=True) from None
        except asyncio.CancelledError:
            controller.abort()
            raise
        except JsException as exc:
            raise TransportError(f"{method} failed: {error_name(exc)}") from None
        names = {str(k).lower(): str(v) for k, v in response.headers.entries()}
        return HttpResponse(int(response.status), names, str(text), str(response.url) or None)

    def send_and_forget(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | str | None
    ) -> None:
        ignore_rejection(js.fetch(url, self._init(method, headers, body, True)))
