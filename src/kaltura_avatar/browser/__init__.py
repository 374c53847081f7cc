"""The browser adapter: the SDK's ports implemented with browser APIs, one module per capability,
the way PyScript's own stdlib is laid out. Nothing outside this package imports ``js`` or
``pyodide``, and inside it only ``interop`` does.

- ``interop``: the ``js``/``pyodide.ffi`` imports, conversions, proxy ownership (``live_proxies``)
- ``fetch``: HTTP (``FetchHttp``)
- ``peer``: ``RTCPeerConnection`` (``BrowserPeerConnection``)
- ``video``: the avatar's ``<video>`` (``VideoView``)
- ``audio``: the WebAudio level meter and ``Blob`` reading
- ``page``: ``pagehide`` and visibility
- ``console``: log records to the browser console

``browser_platform()`` assembles them into the ``Platform`` a session uses; ``ports.choose_platform``
calls it when the SDK runs in Pyodide.
"""

from __future__ import annotations

from ..log import logger
from ..ports import Platform
from .audio import WebAudioMeter, read_blob
from .console import ConsoleHandler
from .fetch import FetchHttp
from .interop import Proxies, live_proxies
from .page import on_pagehide, page_visible
from .peer import BrowserPeerConnection
from .video import VideoView

__all__ = ["Proxies", "browser_platform", "live_proxies"]


def browser_platform() -> Platform:
    """The ports implemented with the browser's APIs (and the SDK's log in the console)."""
    if not any(isinstance(h, ConsoleHandler) for h in logger.handlers):
        logger.addHandler(ConsoleHandler())
    return Platform(
        http=FetchHttp(),
        create_peer=BrowserPeerConnection,
        create_view=VideoView,
        create_meter=WebAudioMeter,
        on_pagehide=on_pagehide,
        read_blob=read_blob,
        page_visible=page_visible,
    )
