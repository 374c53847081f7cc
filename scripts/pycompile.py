"""Add bytecode for the page's Python: to wheels, and to the standard library's zip.

Runs inside the vendored Pyodide (``scripts/pycompile.mjs`` starts it under Node), so the bytecode
is exactly what the page's interpreter would make. The ``.pyc`` files are unchecked-hash ones: the
page imports them without reading the source's timestamp, skipping the compile.

- A wheel: each module gets its ``__pycache__/*.pyc``, skipping about half of importing pydantic
  and the SDK. The sources stay, so tracebacks still quote them; ``RECORD`` lists the new files.
- ``python_stdlib.zip``, which Pyodide ships as source: every module's ``.pyc`` takes the place of
  its ``.py`` (the zip importer finds it first). Compiling the standard library as it is imported
  is most of a cold Pyodide start: on a 2-core machine a bare page was ready in 1.7 s instead of
  3.7 s. The sources go (the zip is 4.5 MB instead of 2.5; with them it would be 7): a traceback
  through the standard library names the file and line without quoting it.
"""

import base64
import hashlib
import os
import py_compile
import sys
import sysconfig
import tempfile
import zipfile

EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same wheel bytes for the same input


def bytecode(source: bytes, installed_path: str) -> bytes:
    """The unchecked-hash ``.pyc`` of ``source``, naming ``installed_path`` in tracebacks."""
    with tempfile.TemporaryDirectory() as scratch:
        py, pyc = os.path.join(scratch, "module.py"), os.path.join(scratch, "module.pyc")
        with open(py, "wb") as f:
            f.write(source)
        py_compile.compile(py, pyc, dfile=installed_path, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        with open(pyc, "rb") as f:
            return f.read()


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def add_bytecode(path: str) -> int:
    """Rewrite the wheel at ``path`` with a ``.pyc`` beside every module; return how many."""
    site = sysconfig.get_path("purelib")
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    if any("/__pycache__/" in f"/{name}" for name, _ in members):
        return 0  # done already
    compiled = []
    for name, data in members:
        if name.endswith(".py") and ".dist-info/" not in name:
            folder, file = os.path.split(name)
            pyc = os.path.join(folder, "__pycache__", f"{file[:-3]}.{sys.implementation.cache_tag}.pyc")
            compiled.append((pyc, bytecode(data, os.path.join(site, name))))
    written = []
    for name, data in members:
        if name.endswith(".dist-info/RECORD"):
            lines = data.decode().splitlines()
            last = lines.pop()  # RECORD's own line stays last
            data = "\n".join([*lines, *(record_line(n, d) for n, d in compiled), last, ""]).encode()
        written.append((name, data))
    written += compiled
    temporary = path + ".tmp"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in written:
            info = zipfile.ZipInfo(name, EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    os.replace(temporary, path)
    return len(compiled)


STDLIB = "python_stdlib.zip"


def stdlib_bytecode(path: str) -> int:
    """Rewrite the standard library's zip at ``path`` with each module's ``.pyc`` in place of its
    ``.py``; return how many. Tracebacks name the module where the page has it: inside the zip the
    interpreter runs from (``/lib/python3XX.zip/...``)."""
    mounted = next(entry for entry in sys.path if entry.endswith(".zip"))
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    if not any(info.filename.endswith(".py") for info, _ in members):
        return 0  # done already
    temporary, compiled = path + ".tmp", 0
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename.endswith(".py"):
                data = bytecode(data, f"{mounted}/{info.filename}")
                info = zipfile.ZipInfo(info.filename[:-3] + ".pyc", info.date_time)
                compiled += 1
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    os.replace(temporary, path)
    return compiled


def main(folder: str, names: list[str]) -> dict[str, int]:
    return {name: (stdlib_bytecode if name == STDLIB else add_bytecode)(os.path.join(folder, name)) for name in names}
