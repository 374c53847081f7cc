"""The HTTP client of the emulator's own outgoing calls (the backend route's create upstream, the
test viewer's WHEP requests), which go through the SDK's protocol code (``kaltura_avatar.control``,
``kaltura_avatar.whep``) on the SDK's CPython HTTP port, ``AiohttpHttp``. ``TracedHttp`` adds one
thing: it keeps the answers, which that code consumes without returning.
"""
from __future__ import annotations

from kaltura_avatar.cpython import AiohttpHttp
from kaltura_avatar.ports import HttpResponse


class TracedHttp(AiohttpHttp):
    """``AiohttpHttp`` that keeps every answer it got, with its method (e.g. a PATCH's status,
    a 429's ``Retry-After``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answers: list[tuple[str, HttpResponse]] = []

    async def request(self, method: str, url: str, **kwargs) -> HttpResponse:
        response = await super().request(method, url, **kwargs)
        self.answers.append((method, response))
        return response
