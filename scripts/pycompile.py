"""Add bytecode to wheels for the page's Python: each module gets its ``__pycache__/*.pyc``.

Runs inside the vendored Pyodide (``scripts/pycompile.mjs`` starts it under Node), so the bytecode
is exactly what the page's interpreter would make. The ``.pyc`` files are unchecked-hash ones: the
page imports them without reading the source's timestamp, skipping the compile that is about half
of importing pydantic and the SDK. The sources stay, so tracebacks still quote them; ``RECORD``
lists the new files.
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


def main(folder: str, names: list[str]) -> dict[str, int]:
    return {name: add_bytecode(os.path.join(folder, name)) for name in names}
