"""``HttpClient`` (``kaltura_avatar.ports``) on aiohttp: the CPython twin of the browser's ``FetchHttp``.

A first piece of a future CPython platform. Like ``fetch``: redirects are followed and the answer
says where it came from (``url``), header names are lower case (repeated ones joined with ", "),
the body is read as UTF-8 text. No answer (connection refused, reset, a bad URL) is
``TransportError``; no answer in time is ``TransportError(timeout=True)``.

Example::

    http = AiohttpHttp()
    answer = await http.request("GET", url, headers={}, body=None, timeout=5)
    await http.close()
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from ..log import DEFAULT_LOG as log
from ..ports import HttpResponse, TransportError

FORGET_TIMEOUT_S = 10.0  # how long a send_and_forget request may take


class AiohttpHttp:
    """The HTTP port over an ``aiohttp.ClientSession``: the one given, or one of its own
    (made on first use, closed by ``close()``)."""

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._session = session
        self._owns_session = session is None
        self._forgotten: set[asyncio.Task] = set()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | str | None,
        timeout: float,
        keepalive: bool = False,  # nothing to outlive on CPython: a request runs to its end anyway
    ) -> HttpResponse:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(timeout):
                async with self._session.request(
                    method, url, headers=dict(headers), data=body, allow_redirects=True
                ) as response:
                    raw = await response.read()
        except TimeoutError:
            raise TransportError(f"{method} timed out after {timeout:g} s", timeout=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} failed: {type(exc).__name__}") from None
        names: dict[str, str] = {}
        for name, value in response.headers.items():
            name = name.lower()
            names[name] = f"{names[name]}, {value}" if name in names else value
        return HttpResponse(response.status, names, raw.decode("utf-8", errors="replace"), str(response.url))

    def send_and_forget(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | str | None
    ) -> None:
        """Start the request in a background task; its outcome is only logged. Never raises."""

        async def send() -> None:
            try:
                response = await self.request(method, url, headers=headers, body=body, timeout=FORGET_TIMEOUT_S)
                log.debug("%s (forgotten) -> %d", method, response.status)
            except TransportError as exc:
                log.debug("%s (forgotten) failed: %s", method, exc)

        try:
            task = asyncio.get_running_loop().create_task(send())
        except RuntimeError:  # no event loop running: nothing can be sent
            log.debug("%s (forgotten) not sent: no running event loop", method)
            return
        self._forgotten.add(task)
        task.add_done_callback(self._forgotten.discard)

    async def close(self) -> None:
        """Let forgotten requests finish, then close the session if it is this object's own."""
        await asyncio.gather(*self._forgotten, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
