"""Lets a test run async Python in the page: window.pyRun(code) -> JSON string.

The code runs with top-level await in one namespace that persists between calls;
the value of its last expression is returned as {"ok": true, "value": ...}.
"""

import json
import traceback

from pyodide.code import eval_code_async
from pyodide.ffi import create_proxy
from pyscript import document, window

NAMESPACE: dict = {"__name__": "__e2e__"}


async def run(code: str) -> str:
    try:
        value = await eval_code_async(code, globals=NAMESPACE)
        return json.dumps({"ok": True, "value": value}, default=repr)
    except BaseException as exc:  # report everything, the test decides
        return json.dumps({
            "ok": False,
            "type": type(exc).__name__,
            "error": str(exc),
            "code": str(getattr(exc, "code", "")) or None,
            "traceback": traceback.format_exc(),
        })


window.pyRun = create_proxy(run)
document.body.dataset.ready = "true"
