"""`make dist`: the static build, served by a plain static server, talks to the emulator on
another origin (config.json names the backend; the emulator answers CORS), in both connect modes."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from urllib.parse import urlsplit

import brotli
import pytest

import build_dist

BOOT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def dist(tmp_path_factory, emulator_process):
    out = tmp_path_factory.mktemp("dist") / "site"
    # Brotli at 5, not 11: the test checks the twins, and 11 takes half a minute on the wasm.
    stats = build_dist.build(out, backend=emulator_process.url, brotli_quality=5)
    return out, stats


@pytest.fixture
def static_server(dist):
    out, _ = dist
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"port (\d+)", line)
    assert match, line
    yield f"http://127.0.0.1:{match.group(1)}"
    process.terminate()
    process.wait(timeout=10)


def test_the_build_is_self_contained_and_precompressed(dist):
    out, stats = dist
    for name in ("index.html", "pyscript.toml", "static/app.py", "static/kaltura-avatar.js",
                 "static/config.json", "static/vendor/pyodide/pyodide.mjs", "static/vendor/pyodide/pyodide-lock.json",
                 "static/vendor/pyscript/core.js"):
        assert (out / name).is_file(), name
    assert list((out / "static/vendor/pyodide").glob("kaltura_avatar-*.whl"))
    wasm = out / "static/vendor/pyodide/pyodide.asm.wasm"
    assert gzip.decompress((out / "static/vendor/pyodide/pyodide.asm.wasm.gz").read_bytes()) == wasm.read_bytes()
    assert brotli.decompress((out / "static/vendor/pyodide/pyodide.asm.wasm.br").read_bytes()) == wasm.read_bytes()
    assert stats["wire_bytes"] < stats["raw_bytes"] * 0.75
    # Nothing in it points at a CDN.
    for path in out.rglob("*"):
        if path.suffix in {".html", ".toml", ".json", ".py"}:
            assert not re.search(r"https?://(cdn|unpkg|jsdelivr)", path.read_text()), path


def test_the_build_served_by_http_server_connects_to_the_emulator_on_another_port(guarded_page, emulator, static_server):
    page = guarded_page.page
    page.goto(static_server + "/")
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")
    assert page.input_value("#base-url") == emulator.api_base
    page.click("#connect-button")
    page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=30_000)
    assert page.locator("#avatar-video video").count() == 1
    page.click("#end-button")
    page.wait_for_selector("body[data-session-state=ENDED]", state="attached", timeout=15_000)

    # "My backend" from the static host: the emulator's backend route answers this local origin.
    page.check("#mode-backend")
    page.click("#connect-button")
    page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=30_000)
    page.click("#end-button")
    page.wait_for_selector("body[data-session-state=ENDED]", state="attached", timeout=15_000)
    assert [s["state"] for s in emulator.sessions()] == ["ended", "ended"]

    static_origin, api_origin = urlsplit(static_server).netloc, urlsplit(emulator.url).netloc
    assert static_origin != api_origin
    hosts = {urlsplit(u).netloc for u in guarded_page.requests if u.startswith("http")}
    assert hosts == {static_origin, api_origin}
    page_files = [u for u in guarded_page.requests if "/static/" in u or u.endswith("/")]
    assert page_files and all(urlsplit(u).netloc == static_origin for u in page_files)
    assert any(urlsplit(u).netloc == api_origin and u.endswith("/create") for u in guarded_page.requests)
    assert any(urlsplit(u).netloc == api_origin and u.endswith("/api/create-avatar-session") for u in guarded_page.requests)
