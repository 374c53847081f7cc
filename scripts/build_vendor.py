"""Assemble static/vendor/: the browser runtime the page loads, with no CDN.

- PyScript and Pyodide come from the npm registry (`npm pack`, pinned in pyproject.toml).
- The Pyodide wasm wheels (pydantic, pydantic-core, pyodide-http, ...) come from PyPI
  (`pip download` for the Pyodide platform, pinned in pyproject.toml).
- `kaltura_avatar` is packed into a pure-Python wheel straight from src/.
- Every wheel gets its modules' bytecode (.pyc), and the standard library's zip has bytecode in
  place of its sources, compiled by the vendored Pyodide itself under Node (scripts/pycompile.mjs),
  so the page imports without compiling.
- pyodide-lock.json is rewritten to list exactly the shipped wheels (with sha256),
  because Pyodide checks every package it loads against the lock.
- snapshot-key.json names what a browser memory snapshot depends on (Pyodide's build id, the
  hashes of the lock and of the SDK wheel): static/pyodide-snapshot.mjs keys its snapshot on it.

Downloads are cached in .cache/vendor/. A run whose inputs did not change does nothing;
a change under src/kaltura_avatar rebuilds only the SDK wheel and the lock.

Usage: python scripts/build_vendor.py [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "vendor"
SDK_SRC = ROOT / "src" / "kaltura_avatar"
PYODIDE_RUNTIME = [
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
]
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


def log(msg: str) -> None:
    print(f"[vendor] {msg}", flush=True)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_settings() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["kaltura-avatar"]["vendor"]


def sdk_version() -> str:
    text = (SDK_SRC / "__init__.py").read_text()
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


NOT_IN_THE_BROWSER = {"cpython"}  # adapters for other platforms (cpython/ needs aiohttp)


def sdk_files() -> list[Path]:
    return sorted(
        p for p in SDK_SRC.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".typed"}
        and not NOT_IN_THE_BROWSER & set(p.relative_to(SDK_SRC).parts)
    )


def sdk_digest() -> str:
    """The SDK's files and its lock entry's rule (LATER): a change to either rebuilds the wheel and the lock."""
    h = hashlib.sha256(json.dumps({name: sorted(deps) for name, deps in LATER.items()}).encode())
    for p in sdk_files():
        h.update(p.relative_to(SDK_SRC).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


# --- downloads (cached) -------------------------------------------------------------

def npm_tarball(name: str, version: str) -> Path:
    dest = CACHE / "npm"
    target = dest / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not target.exists():
        dest.mkdir(parents=True, exist_ok=True)
        log(f"npm pack {name}@{version}")
        subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=dest,
                       check=True, stdout=subprocess.DEVNULL)
    return target


def wasm_wheels(settings: dict) -> list[Path]:
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    dest = CACHE / f"wheels-{key}"
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        log("pip download " + " ".join(settings["wheels"]))
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "-d", str(dest), "--only-binary=:all:", "--no-deps",
             "--platform", settings["wheel_platform"],
             "--python-version", settings["wheel_python"], "--implementation", "cp",
             "--abi", settings["wheel_abi"], "--abi", "abi3", "--abi", "none",
             *settings["wheels"]],
            check=True,
        )
        (dest / ".complete").touch()
    return sorted(dest.glob("*.whl"))


# --- the SDK wheel -----------------------------------------------------------------

def build_sdk_wheel(out: Path) -> Path:
    """Pack src/kaltura_avatar as a pure-Python wheel (deterministic bytes)."""
    version = sdk_version()
    dist_info = f"kaltura_avatar-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (f"kaltura_avatar/{p.relative_to(SDK_SRC).as_posix()}", p.read_bytes()) for p in sdk_files()
    ]
    entries.append((f"{dist_info}/METADATA", (
        "Metadata-Version: 2.1\nName: kaltura-avatar\n"
        f"Version: {version}\nRequires-Python: >=3.11\nRequires-Dist: pydantic>=2.10\n"
    ).encode()))
    entries.append((f"{dist_info}/WHEEL", (
        "Wheel-Version: 1.0\nGenerator: build_vendor\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()))
    entries.append((f"{dist_info}/top_level.txt", b"kaltura_avatar\n"))
    record = []
    for name, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))

    target = out / f"kaltura_avatar-{version}-py3-none-any.whl"
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(target)
    return target


def pycompile(pyodide_dir: Path, names: list[str]) -> None:
    """Precompile the modules of these wheels (or of python_stdlib.zip) for the page's Python
    (scripts/pycompile.py, run by the vendored Pyodide under Node): importing from a .pyc skips
    compiling the source. What has its bytecode already is left as it is."""
    subprocess.run(["node", str(ROOT / "scripts" / "pycompile.mjs"), str(pyodide_dir), *names],
                   check=True, stdout=subprocess.DEVNULL)


def add_bytecode(pyodide_dir: Path) -> None:
    """Every wheel's bytecode: about half of the boot's import time."""
    pycompile(pyodide_dir, sorted(p.name for p in pyodide_dir.glob("*.whl")))


# --- the lock ----------------------------------------------------------------------

def wheel_entry(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(meta_name).decode())
        top = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
        if top:
            imports = [line.strip() for line in zf.read(top).decode().splitlines() if line.strip()]
        else:
            imports = sorted({
                n.split("/")[0].removesuffix(".py") for n in names
                if ".dist-info/" not in n and ".data/" not in n
                and (n.count("/") >= 1 or n.endswith(".py"))
            })
    requires = []
    for req in meta.get_all("Requires-Dist") or []:
        if "extra ==" in req:
            continue
        requires.append(canonical(re.match(r"[A-Za-z0-9_.\-]+", req).group(0)))
    return {
        "name": meta["Name"],
        "version": meta["Version"],
        "file_name": path.name,
        "install_dir": "site",
        "package_type": "package",
        "sha256": sha256(path),
        "imports": imports,
        "depends": requires,
        "unvendored_tests": False,
    }


# Dependencies a page loads on its own time, not with the package: the SDK imports pydantic only
# when a session is first made (kaltura_avatar.config), so a page can show itself before pydantic
# is installed (the demo loads it once on screen). Pages that want it at boot list it themselves.
LATER = {"kaltura-avatar": {"pydantic"}}


def write_lock(pyodide_dir: Path, info: dict) -> None:
    entries = {canonical(e["name"]): e for e in map(wheel_entry, sorted(pyodide_dir.glob("*.whl")))}
    for name, entry in entries.items():
        entry["depends"] = [d for d in entry["depends"] if d in entries and d not in LATER.get(name, ())]
    lock = {"info": info, "packages": dict(sorted(entries.items()))}
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1) + "\n")


def write_snapshot_key(pyodide_dir: Path, sdk_wheel: Path) -> None:
    """What a memory snapshot made from this runtime is valid for: any change makes a new key."""
    build_id = re.search(r'BUILD_ID:"([0-9a-f]{64})"', (pyodide_dir / "pyodide.mjs").read_text())
    if not build_id:
        raise SystemExit("pyodide.mjs has no BUILD_ID: this Pyodide cannot key memory snapshots")
    key = {
        "build_id": build_id.group(1),
        "lock_sha256": sha256(pyodide_dir / "pyodide-lock.json"),
        "sdk_wheel_sha256": sha256(sdk_wheel),
    }
    (pyodide_dir / "snapshot-key.json").write_text(json.dumps(key, indent=1) + "\n")


# --- assembling --------------------------------------------------------------------

def extract(tgz: Path, members: dict[str, Path]) -> None:
    """Extract package/<name> for each name -> destination path."""
    with tarfile.open(tgz) as tf:
        for name, dest in members.items():
            src = tf.extractfile(f"package/{name}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read())


def build_runtime(out: Path, settings: dict) -> None:
    npm = settings["npm"]
    shutil.rmtree(out, ignore_errors=True)
    pyodide_dir, pyscript_dir = out / "pyodide", out / "pyscript"
    extract(npm_tarball("pyodide", npm["pyodide"]),
            {name: pyodide_dir / name for name in PYODIDE_RUNTIME})
    core = npm_tarball("@pyscript/core", npm["@pyscript/core"])
    with tarfile.open(core) as tf:
        dist = [m.name.removeprefix("package/") for m in tf.getmembers()
                if m.isfile() and m.name.startswith("package/dist/") and not m.name.endswith(".map")]
    extract(core, {name: pyscript_dir / name.removeprefix("dist/") for name in dist})
    for wheel in wasm_wheels(settings):
        shutil.copy2(wheel, pyodide_dir / wheel.name)
    pycompile(pyodide_dir, ["python_stdlib.zip"])


def runtime_files(out: Path) -> dict[str, int]:
    """Size of every runtime file (what the SDK wheel, the lock and the stamp are not)."""
    return {
        p.relative_to(out).as_posix(): p.stat().st_size
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("stamp.json", "pyodide-lock.json", "snapshot-key.json")
        and not p.name.startswith("kaltura_avatar-")
    }


def runtime_intact(out: Path, files: dict[str, int]) -> bool:
    return bool(files) and all(
        (out / name).is_file() and (out / name).stat().st_size == size for name, size in files.items()
    )


def build(out: Path, force: bool = False) -> bool:
    """Bring `out` up to date. Returns True when anything was rebuilt."""
    settings = load_settings()
    stamp_path = out / "stamp.json"
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    # The pins, and how the runtime is compiled: a change to either rebuilds it.
    recipe = json.dumps(settings, sort_keys=True).encode() + (ROOT / "scripts" / "pycompile.py").read_bytes()
    runtime_key = hashlib.sha256(recipe).hexdigest()
    sdk_key = sdk_digest()
    runtime_ok = not force and stamp.get("runtime") == runtime_key and runtime_intact(out, stamp.get("files", {}))
    done = all((out / "pyodide" / name).is_file() for name in ("pyodide-lock.json", "snapshot-key.json"))
    if runtime_ok and stamp.get("sdk") == sdk_key and done:
        log(f"up to date: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        return False
    if not runtime_ok:
        build_runtime(out, settings)
    pyodide_dir = out / "pyodide"
    for old in pyodide_dir.glob("kaltura_avatar-*.whl"):
        old.unlink()
    wheel = build_sdk_wheel(pyodide_dir)
    add_bytecode(pyodide_dir)
    with tarfile.open(npm_tarball("pyodide", settings["npm"]["pyodide"])) as tf:
        info = json.load(tf.extractfile("package/pyodide-lock.json"))["info"]
    write_lock(pyodide_dir, info)
    write_snapshot_key(pyodide_dir, wheel)
    stamp_path.write_text(json.dumps({"runtime": runtime_key, "sdk": sdk_key, "files": runtime_files(out)}) + "\n")
    log(f"built {wheel.name} and pyodide-lock.json in {out}")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "static" / "vendor")
    parser.add_argument("--force", action="store_true", help="rebuild everything")
    args = parser.parse_args()
    build(args.out.resolve(), args.force)


if __name__ == "__main__":
    main()
