"""The house rules of docs/architecture.md, checked on every run so the layout cannot drift."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "src" / "kaltura_avatar"
PACKAGES = [SDK, ROOT / "src" / "kaltura_avatar_emulator"]
MAX_LINES = 400


def modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_browser_adapter_touches_js_and_pyodide():
    for path in modules(SDK):
        outside = not path.is_relative_to(SDK / "browser")
        touching = {n for n in imported(path) if n.split(".")[0] in ("js", "pyodide", "pyscript")}
        if outside:
            assert not touching, f"{path.relative_to(ROOT)} imports {touching}"
    inside = {p.name for p in modules(SDK / "browser") if {n.split(".")[0] for n in imported(p)} & {"js", "pyodide"}}
    assert inside == {"interop.py"}, inside


def test_the_core_never_imports_an_adapter_but_in_choose_platform():
    for path in modules(SDK):
        if path.is_relative_to(SDK / "browser") or path.is_relative_to(SDK / "cpython"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and (node.module or "").split(".")[0] in ("browser", "cpython"):
                assert path.name == "ports.py", f"{path.name} imports the {node.module} adapter"
        assert "aiohttp" not in {n.split(".")[0] for n in imported(path)}, path.name


def test_every_module_is_short_and_says_what_it_owns():
    for package in PACKAGES:
        for path in modules(package):
            lines = path.read_text().count("\n")
            assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
            doc = ast.get_docstring(ast.parse(path.read_text()))
            assert doc and len(doc.split()) >= 5, f"{path.relative_to(ROOT)} has no docstring saying what it owns"


def test_the_js_facade_holds_only_javascript():
    js = (ROOT / "static" / "kaltura-avatar.js").read_text()
    assert not re.search(r"^\s*(def |class \w+:|import json|from kaltura_avatar)", js, re.MULTILINE)
    assert "runPython" not in js


def test_every_test_file_in_e2e_has_tests():
    for path in sorted((ROOT / "tests" / "e2e").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        assert any(n.startswith("test_") for n in names), f"{path.name} has no tests"
