"""JS interop for the browser adapter: the one module that imports ``js`` and ``pyodide.ffi``, the
small conversions the adapter needs, and proxy ownership.

Every ``create_proxy`` of the adapter goes through a ``Proxies`` owner that destroys its proxies
at teardown; ``live_proxies()`` says how many are alive (a test checks that sessions leave none).
On CPython the imports fail quietly, so the package imports for host tests and nothing runs.

>>> owner = Proxies(create_proxy=lambda fn: fn)   # the real create_proxy in the page
>>> handler = owner.create(lambda event: None)
>>> owner.destroy_all()                           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

try:
    import js
    from pyodide.ffi import JsException, JsProxy, create_proxy, jsnull, to_js
except ImportError:  # CPython: importable for host tests; nothing here runs without a browser
    js = jsnull = create_proxy = to_js = None

    class JsException(Exception):  # type: ignore[no-redef]
        """Stands in for pyodide.ffi.JsException off the browser."""

    class JsProxy:  # type: ignore[no-redef]
        """Stands in for pyodide.ffi.JsProxy off the browser."""


_live = 0


def live_proxies() -> int:
    """How many proxies made through ``Proxies`` are not destroyed yet."""
    return _live


class Proxies:
    """Owns the proxies it creates; ``destroy_all()`` releases them (idempotent)."""

    def __init__(self, create_proxy: Callable[[Callable], Any] | None = None) -> None:
        self._create_proxy = create_proxy
        self._owned: list[Any] = []

    def create(self, fn: Callable) -> Any:
        global _live
        make = self._create_proxy or create_proxy
        if make is None:
            raise ImportError("pyodide is needed to create a JS proxy")
        proxy = make(fn)
        self._owned.append(proxy)
        _live += 1
        return proxy

    def destroy_all(self) -> None:
        global _live
        owned, self._owned = self._owned, []
        for proxy in owned:
            _live -= 1
            try:
                proxy.destroy()
            except Exception:  # already destroyed elsewhere: nothing left to free
                pass

    def __len__(self) -> int:
        return len(self._owned)


def js_object(value: Mapping[str, Any]) -> Any:
    """A plain JS object (not a Map) from a dict, nested dicts and lists included."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def number(value: Any) -> float | None:
    """A JS number as a float; None for anything else (undefined, null, a bool)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def error_name(exc: BaseException) -> str:
    """The JS error's ``name`` (``NotAllowedError``, ``AbortError``...), else the Python type."""
    return str(getattr(exc, "name", "") or type(exc).__name__)


def ignore_rejection(promise: Any) -> None:
    """Let a best-effort promise fail without an unhandled-rejection report."""
    promise.catch(lambda _error: None)
