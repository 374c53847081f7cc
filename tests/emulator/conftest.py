"""Emulator tests: real emulator processes on 127.0.0.1 (port 0), real HTTP, a real aiortc viewer.

Fixtures:
- `server`: one process with --test-controls and --max-sessions 3, reset before each test that uses `api`.
- `strict_server`: one process without test controls: --idle-timeout 1, --token-ttl 3, accepted and
  forbidden KS lists, --max-sessions 2.
- `api`: an `Api` helper bound to `server` (create, call, test-control shortcuts).
"""
from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest


from emulator_support import KS, Api, multipart_audio, start_server


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """A small static root: index.html, pyscript.toml, static/ with one file per MIME type, a mount."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text("<!doctype html><title>avatar</title>")
    (root / "pyscript.toml").write_text('name = "demo"\n')
    (root / "secret.txt").write_text("TOP SECRET")
    static = root / "static"
    (static / "sub").mkdir(parents=True)
    for name, data in {
        "app.mjs": "export {}", "app.js": "1", "m.wasm": "\0asm", "p.whl": "PK", "d.json": "{}",
        "c.toml": "a=1", "s.css": "a{}", "z.zip": "PK", "m.py": "x = 1", "sub/index.html": "<p>sub</p>",
    }.items():
        (static / name).write_text(data)
    pages = root / "pages"
    pages.mkdir()
    (pages / "page.html").write_text("<p>e2e</p>")
    return root


@pytest.fixture(scope="session")
def server(site, tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("server"), "--test-controls", "--max-sessions", "3",
                     "--root", str(site), "--mount", f"/e2e={site / 'pages'}")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def strict_server(site, tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("strict"), "--idle-timeout", "1", "--token-ttl", "3",
                     "--max-sessions", "2", "--ks", KS, "--ks", "other-ks", "--forbidden-ks", "bad-ks",
                     "--root", str(site))
    yield s
    s.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


@pytest.fixture
async def api(server, http) -> Api:
    a = Api(server.url, http)
    r = await a.request("POST", "/__test__/reset")
    assert r.status == 200
    return a


@pytest.fixture
async def strict_api(strict_server, http) -> Api:
    return Api(strict_server.url, http)


@pytest.fixture
def audio_form():
    return multipart_audio
