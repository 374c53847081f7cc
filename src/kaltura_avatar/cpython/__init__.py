"""The SDK's ports on CPython: the first piece of a future CPython platform beside ``browser``.

Today it holds the HTTP port (``AiohttpHttp``), which the local emulator uses to speak the
SDK's protocol code (``control``, ``whep``) as a client. Only this package imports aiohttp;
the browser wheel ships it but never imports it.
"""

from .http import AiohttpHttp

__all__ = ["AiohttpHttp"]
