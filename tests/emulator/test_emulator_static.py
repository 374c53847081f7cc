"""Static serving: fixed routes, mounts, MIME types, revalidation, no escape from the folders."""
from __future__ import annotations

import asyncio
import gzip
from urllib.parse import urlsplit

import aiohttp
import brotli
import pytest

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("path, mime", [
    ("/", "text/html"),
    ("/pyscript.toml", "text/plain"),
    ("/static/app.mjs", "text/javascript"),
    ("/static/app.js", "text/javascript"),
    ("/static/m.wasm", "application/wasm"),
    ("/static/p.whl", "application/zip"),
    ("/static/d.json", "application/json"),
    ("/static/c.toml", "text/plain"),
    ("/static/s.css", "text/css"),
    ("/static/z.zip", "application/zip"),
    ("/static/m.py", "text/plain"),
    ("/static/sub/", "text/html"),
    ("/e2e/page.html", "text/html"),
])
async def test_mime_types_and_no_cache(server, http, path, mime):
    async with http.get(server.url + path) as r:
        assert r.status == 200
        assert r.content_type == mime
        assert r.headers["Cache-Control"] == "no-cache"
        assert "ETag" in r.headers and "Last-Modified" in r.headers


async def test_body_is_the_file(server, http, site):
    async with http.get(server.url + "/") as r:
        assert await r.text() == (site / "index.html").read_text()
    async with http.get(server.url + "/e2e/page.html") as r:
        assert await r.text() == "<p>e2e</p>"


async def test_revalidation_answers_304(server, http):
    async with http.get(server.url + "/static/app.mjs") as r:
        etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    async with http.get(server.url + "/static/app.mjs", headers={"If-None-Match": etag}) as r:
        assert r.status == 304
    async with http.get(server.url + "/static/app.mjs", headers={"If-Modified-Since": modified}) as r:
        assert r.status == 304
    async with http.get(server.url + "/static/app.mjs", headers={"If-None-Match": '"other"'}) as r:
        assert r.status == 200


async def test_changed_file_gets_new_etag(server, http, site):
    f = site / "static" / "changing.js"
    f.write_text("1")
    async with http.get(server.url + "/static/changing.js") as r:
        etag = r.headers["ETag"]
    f.write_text("22")
    async with http.get(server.url + "/static/changing.js", headers={"If-None-Match": etag}) as r:
        assert r.status == 200 and await r.text() == "22"


async def test_missing_file_is_404(server, http):
    async with http.get(server.url + "/static/nope.js") as r:
        assert r.status == 404


async def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET with the path sent byte for byte (no client-side normalisation)."""
    u = urlsplit(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/..\\secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/e2e/../secret.txt",
    "/e2e/%2e%2e/secret.txt",
    "/e2e/..%2f..%2f..%2fetc%2fpasswd",
])
async def test_paths_cannot_escape(server, path):
    status, body = await raw_get(server.url, path)
    assert status in (400, 403, 404)
    assert b"TOP SECRET" not in body and b"root:" not in body


# --- compressed bodies -----------------------------------------------------------------

BIG = "export const words = [" + ", ".join(f'"word{i}"' for i in range(2000)) + "];\n"


@pytest.fixture
async def raw_http():
    """A client that shows bodies as sent (no automatic decompression)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15), auto_decompress=False) as session:
        yield session


@pytest.mark.parametrize("accept, encoding", [
    ("gzip, deflate, br, zstd", "br"),
    ("gzip, deflate", "gzip"),
    ("identity", None),
])
async def test_compressible_files_are_compressed_as_the_browser_accepts(server, raw_http, site, accept, encoding):
    (site / "static" / "big.mjs").write_text(BIG)
    async with raw_http.get(server.url + "/static/big.mjs", headers={"Accept-Encoding": accept}) as r:
        body = await r.read()
        assert r.status == 200 and r.content_type == "text/javascript"
        assert r.headers.get("Content-Encoding") == encoding and r.headers["Vary"] == "Accept-Encoding"
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](body)
    assert decoded == BIG.encode()
    assert encoding is None or len(body) < len(BIG) / 3


async def test_a_compressed_body_revalidates_and_follows_changes(server, raw_http, site):
    f = site / "static" / "grows.js"
    f.write_text(BIG)
    headers = {"Accept-Encoding": "br"}
    async with raw_http.get(server.url + "/static/grows.js", headers=headers) as r:
        etag = r.headers["ETag"]
    async with raw_http.get(server.url + "/static/grows.js", headers={**headers, "If-None-Match": etag}) as r:
        assert r.status == 304
    f.write_text(BIG + "// more\n")
    async with raw_http.get(server.url + "/static/grows.js", headers={**headers, "If-None-Match": etag}) as r:
        assert r.status == 200 and brotli.decompress(await r.read()).endswith(b"// more\n")


async def test_a_precompressed_twin_is_served_as_it_is(server, raw_http, site):
    (site / "static" / "twin.js").write_text(BIG)
    (site / "static" / "twin.js.br").write_bytes(brotli.compress(b"the twin", quality=11))
    async with raw_http.get(server.url + "/static/twin.js", headers={"Accept-Encoding": "br"}) as r:
        assert r.headers["Content-Encoding"] == "br" and r.content_type == "text/javascript"
        assert brotli.decompress(await r.read()) == b"the twin"
