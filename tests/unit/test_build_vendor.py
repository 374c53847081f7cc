"""scripts/build_vendor.py: the SDK wheel and the rewritten Pyodide lock (no network)."""

import hashlib
import json
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_vendor  # noqa: E402


def test_sdk_wheel_holds_the_package_and_is_deterministic(tmp_path):
    first = build_vendor.build_sdk_wheel(tmp_path)
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    second = build_vendor.build_sdk_wheel(tmp_path)
    assert hashlib.sha256(second.read_bytes()).hexdigest() == digest
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        assert "kaltura_avatar/__init__.py" in names
        assert "kaltura_avatar/py.typed" in names
        assert not [n for n in names if "__pycache__" in n or n.startswith("kaltura_avatar_emulator")]
        record = zf.read(next(n for n in names if n.endswith("RECORD"))).decode()
        assert all(name in record for name in names)


def make_wheel(folder: Path, name: str, version: str, requires: list[str], top: str) -> Path:
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/__init__.py", "")
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
        zf.writestr(f"{name.replace('-', '_')}-{version}.dist-info/METADATA", meta)
    return path


def test_lock_lists_exactly_the_shipped_wheels_with_their_hashes(tmp_path):
    a = make_wheel(tmp_path, "Alpha_Pkg", "1.0", ["beta>=2", "gamma; extra == 'x'", "missing"], "alpha")
    make_wheel(tmp_path, "beta", "2.1", [], "beta")
    build_vendor.write_lock(tmp_path, {"python": "3.14.2"})
    lock = json.loads((tmp_path / "pyodide-lock.json").read_text())
    assert lock["info"] == {"python": "3.14.2"}
    assert sorted(lock["packages"]) == ["alpha-pkg", "beta"]
    alpha = lock["packages"]["alpha-pkg"]
    assert alpha["file_name"] == a.name
    assert alpha["sha256"] == hashlib.sha256(a.read_bytes()).hexdigest()
    assert alpha["imports"] == ["alpha"]
    # Extras and packages that are not shipped are not dependencies in the browser.
    assert alpha["depends"] == ["beta"]
    assert alpha["install_dir"] == "site" and alpha["package_type"] == "package"


def test_the_sdk_lock_entry_leaves_pydantic_to_the_page(tmp_path):
    """A page can load kaltura-avatar alone and pydantic later (before the first session)."""
    make_wheel(tmp_path, "kaltura-avatar", "1.0", ["pydantic>=2.10"], "kaltura_avatar")
    make_wheel(tmp_path, "pydantic", "2.1", ["typing-extensions"], "pydantic")
    make_wheel(tmp_path, "typing-extensions", "4.0", [], "typing_extensions")
    build_vendor.write_lock(tmp_path, {})
    packages = json.loads((tmp_path / "pyodide-lock.json").read_text())["packages"]
    assert packages["kaltura-avatar"]["depends"] == []
    assert packages["pydantic"]["depends"] == ["typing-extensions"]


def test_build_is_a_no_op_when_up_to_date_and_repairs_what_changed(tmp_path, monkeypatch):
    """Uses the download cache that the setup (make test) fills; no network here."""
    sdk = tmp_path / "sdk"
    shutil.copytree(build_vendor.SDK_SRC, sdk, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build_vendor, "SDK_SRC", sdk)
    out = tmp_path / "vendor"
    assert build_vendor.build(out) is True
    lock = out / "pyodide" / "pyodide-lock.json"
    wasm = out / "pyodide" / "pyodide.asm.wasm"
    wasm_mtime = wasm.stat().st_mtime_ns
    assert build_vendor.build(out) is False  # up to date: nothing touched

    # The standard library has bytecode in place of every module's source (compiled by Pyodide).
    version = build_vendor.load_settings()["npm"]["pyodide"]
    stock = tmp_path / "stock.zip"
    build_vendor.extract(build_vendor.npm_tarball("pyodide", version), {"python_stdlib.zip": stock})
    with zipfile.ZipFile(stock) as zf:
        sources = {n[:-3] for n in zf.namelist() if n.endswith(".py")}
    with zipfile.ZipFile(out / "pyodide" / "python_stdlib.zip") as zf:
        names = zf.namelist()
        assert {n[:-4] for n in names if n.endswith(".pyc")} == sources and len(sources) > 500
        assert not [n for n in names if n.endswith(".py")]
        assert zf.read("os.pyc")[4:8] == b"\x01\x00\x00\x00"  # unchecked-hash: no source to check

    (sdk / "session.py").write_text((sdk / "session.py").read_text() + "\n# changed\n")
    old_hash = json.loads(lock.read_text())["packages"]["kaltura-avatar"]["sha256"]
    assert build_vendor.build(out) is True  # only the SDK wheel and the lock
    assert wasm.stat().st_mtime_ns == wasm_mtime
    assert json.loads(lock.read_text())["packages"]["kaltura-avatar"]["sha256"] != old_hash

    wasm.unlink()  # a runtime file went missing: the next build restores it
    assert build_vendor.build(out) is True and wasm.is_file()
    assert build_vendor.build(out) is False
