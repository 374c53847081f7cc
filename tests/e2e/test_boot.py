"""The page boots fully offline: PyScript, Pyodide, pydantic and kaltura_avatar from static/vendor."""

import re

import kaltura_avatar

BOOT_TIMEOUT_MS = 60_000


def test_demo_page_boots_offline_and_shows_versions(guarded_page, emulator):
    page = guarded_page.page
    page.goto(emulator.url + "/")
    # The boot indicator is there while Pyodide loads, and gone once Python runs.
    assert page.locator("#boot").is_visible()
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    assert page.locator("#boot").count() == 0
    assert page.inner_text("#sdk-version") == kaltura_avatar.__version__
    assert re.fullmatch(r"3\.14\.\d+", page.inner_text("#python-version"))
    # Everything came from the emulator's origin, and the runtime really was fetched there.
    assert any(u.endswith("/static/vendor/pyodide/pyodide.asm.wasm") for u in guarded_page.requests)
    assert any("kaltura_avatar-" in u and u.endswith(".whl") for u in guarded_page.requests)
    # The runtime files index.html preloads are fetched once: Pyodide's own requests took the
    # preloaded responses (a preload that does not match its request is fetched twice).
    preloaded = page.eval_on_selector_all("link[rel=preload], link[rel=modulepreload]", "ls => ls.map(l => l.href)")
    assert len(preloaded) >= 5
    assert {url: guarded_page.requests.count(url) for url in preloaded} == {url: 1 for url in preloaded}
    assert guarded_page.off_loopback() == []
    assert guarded_page.unexpected_console_errors() == []


def test_python_runs_in_the_page_with_pydantic_and_the_sdk(py):
    assert py.run("1 + 1") == 2
    value = py.run("""
        import sys, pydantic, kaltura_avatar

        class Point(pydantic.BaseModel):
            x: int

        [sys.platform, pydantic.VERSION, kaltura_avatar.__version__, Point(x="3").x]
    """)
    assert value == ["emscripten", "2.14.4", kaltura_avatar.__version__, 3]


def test_the_standard_library_imports_from_bytecode_and_tracebacks_still_name_it(py):
    """scripts/build_vendor.py puts bytecode in place of the standard library's sources (compiling
    them as they are imported was most of a cold start): modules load from the .pyc, and a
    traceback through the standard library still names its file and line."""
    stdlib, loaded, frame, line = py.run("""
        import ipaddress, json, sys, traceback
        try:
            json.loads("{")
        except ValueError as exc:
            last = traceback.extract_tb(exc.__traceback__)[-1]
        [next(entry for entry in sys.path if entry.endswith(".zip")), ipaddress.__file__, last.filename, last.lineno]
    """)
    assert loaded == stdlib + "/ipaddress.pyc"
    assert frame == stdlib + "/json/decoder.py" and line > 0


def test_python_errors_come_back_typed(py):
    try:
        py.run("raise ValueError('boom')")
    except AssertionError as exc:
        assert exc.type == "ValueError" and exc.error == "boom"
    else:
        raise AssertionError("the error was swallowed")


def test_network_guard_catches_a_request_off_loopback(guarded_page, emulator):
    """The guard itself can fail: a request to another host is recorded and reported."""
    page = guarded_page.page
    page.goto(emulator.url + "/e2e/harness.html")
    page.evaluate("fetch('http://cdn.example.invalid/x.js').catch(() => null)")
    page.wait_for_timeout(200)
    assert guarded_page.off_loopback() == ["http://cdn.example.invalid/x.js"]
    guarded_page.requests.clear()  # handled: do not fail this test at teardown
    guarded_page.console_errors.clear()
