"""`--pages DIR`: a folder of your own pages served at / in place of the demo, the runtime at
/kaltura-avatar/ (only the runtime: never the demo's own files), and the API beside them."""
from __future__ import annotations

import logging

import pytest

from emulator_support import Api, start_server
from kaltura_avatar_emulator import cli
from test_emulator_static import raw_get

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A project root with a (fake) built runtime and a demo file, and a folder of pages."""
    base = tmp_path_factory.mktemp("pages-site")
    root, pages = base / "project", base / "my-pages"
    for path, text in {
        root / "index.html": "<p>the demo</p>",
        root / "static" / "app.py": "DEMO = 1",
        root / "static" / "kaltura-avatar.js": "export const facade = 1;",
        root / "static" / "vendor" / "pyodide" / "pyodide.mjs": "export const pyodide = 1;",
        base / "secret.txt": "TOP SECRET",
        pages / "index.html": "<p>my index</p>",
        pages / "js-page.html": "<p>my page</p>",
        pages / "main.py": "print('mine')",
        pages / "sub" / "index.html": "<p>sub</p>",
        pages / "static" / "mine.js": "export const mine = 1;",
    }.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root, pages


@pytest.fixture(scope="module")
def pages_server(folders, tmp_path_factory):
    root, pages = folders
    s = start_server(tmp_path_factory.mktemp("pages-server"), "--test-controls", "--root", str(root), "--pages", str(pages))
    yield s
    s.stop()


@pytest.mark.parametrize("path, body, mime", [
    ("/", "<p>my index</p>", "text/html"),
    ("/js-page.html", "<p>my page</p>", "text/html"),
    ("/main.py", "print('mine')", "text/plain"),
    ("/sub/", "<p>sub</p>", "text/html"),
    ("/static/mine.js", "export const mine = 1;", "text/javascript"),  # the demo's /static/ is gone
    ("/kaltura-avatar/kaltura-avatar.js", "export const facade = 1;", "text/javascript"),
    ("/kaltura-avatar/vendor/pyodide/pyodide.mjs", "export const pyodide = 1;", "text/javascript"),
])
async def test_your_pages_at_the_root_and_the_runtime_beside_them(pages_server, http, path, body, mime):
    async with http.get(pages_server.url + path) as r:
        assert (r.status, r.content_type, await r.text()) == (200, mime, body)
        assert r.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", [
    "/kaltura-avatar/app.py", "/kaltura-avatar/index.html", "/kaltura-avatar/", "/kaltura-avatar/vendor/",
    "/static/app.py", "/pyscript.toml", "/nope.html",
])
async def test_only_the_runtime_and_your_files_are_served(pages_server, http, path):
    async with http.get(pages_server.url + path) as r:
        assert r.status == 404


async def test_the_snapshot_wrapper_is_served_once_it_exists(pages_server, http, folders):
    root, _ = folders
    url = pages_server.url + "/kaltura-avatar/pyodide-snapshot.mjs"
    async with http.get(url) as r:
        assert r.status == 404
    (root / "static" / "pyodide-snapshot.mjs").write_text("export const snapshot = 1;")
    async with http.get(url) as r:
        assert (r.status, r.content_type) == (200, "text/javascript")


async def test_the_api_and_test_controls_still_answer_beside_the_pages(pages_server, http):
    api = Api(pages_server.url, http)
    created = await api.request("POST", "/api/create-avatar-session", json={"avatarId": "avatar-123"})
    assert created.status == 200 and set(created.body) == {"sessionId", "token"}
    listed = await api.request("GET", "/__test__/sessions")
    assert listed.status == 200 and [s["id"] for s in listed.body] == [created.body["sessionId"]]
    unknown = await api.request("GET", "/v1/avatar-session/nope")
    assert unknown.status == 404 and unknown.body["success"] is False


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/sub/../../secret.txt",
    "/kaltura-avatar/vendor/../app.py", "/kaltura-avatar/vendor/%2e%2e/app.py",
    "/kaltura-avatar/vendor/..%2f..%2findex.html", "/kaltura-avatar/../../secret.txt",
])
async def test_paths_cannot_escape_the_pages_or_the_runtime(pages_server, path):
    status, body = await raw_get(pages_server.url, path)
    assert status in (400, 403, 404)
    assert b"TOP SECRET" not in body and b"DEMO" not in body and b"the demo" not in body


def test_pages_without_a_built_runtime_is_a_clear_startup_error(folders, tmp_path, capsys, monkeypatch):
    _, pages = folders
    monkeypatch.setattr(logging.root, "handlers", list(logging.root.handlers))  # main() configures logging
    monkeypatch.setattr(logging.root, "level", logging.root.level)
    assert cli.main(["--port", "0", "--root", str(tmp_path), "--pages", str(pages)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "runtime is not built" in err and "make setup" in err


def test_pages_must_be_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--pages", str(tmp_path / "nope")])
    assert exited.value.code == 2 and "--pages: not a directory" in capsys.readouterr().err
