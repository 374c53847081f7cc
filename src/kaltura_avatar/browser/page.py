"""The page's lifecycle: ``pagehide`` (the tab closes or navigates away: the session is ended with
requests that outlive the page) and visibility (a hidden tab may pause video decoding, which is
not lost media).

>>> unsubscribe = on_pagehide(lambda: print("bye"))   # doctest: +SKIP
>>> page_visible()                                    # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .interop import Proxies, js


def on_pagehide(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` synchronously on ``pagehide``; returns the unsubscribe function."""
    proxies = Proxies()
    calling = False

    def listener(_event: Any) -> None:
        nonlocal calling
        calling = True
        try:
            callback()
        finally:
            calling = False

    proxy = proxies.create(listener)
    js.window.addEventListener("pagehide", proxy)

    def unsubscribe() -> None:
        js.window.removeEventListener("pagehide", proxy)
        if calling:  # unsubscribed from inside the listener: destroy once that call returned
            asyncio.get_event_loop().call_soon(proxies.destroy_all)
        else:
            proxies.destroy_all()

    return unsubscribe


def page_visible() -> bool:
    return not js.document.hidden
