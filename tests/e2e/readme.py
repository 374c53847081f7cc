"""The README's code blocks, read when the tests run, so they run what the README shows (no tests here).

A block whose first line names a file (``<!-- my-pages/js-page.html -->``, ``# my-pages/main.py ...``)
is that file, to be saved as it is: ``files(section)`` maps those names to their text, and
``save_pages(folder)`` writes the ``my-pages/`` ones of "Embed it in your page" into ``folder``.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
EMBED = "Embed it in your page"
TESTING = "Test your own page"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
NAME = re.compile(r"(?:<!--|#)\s*([\w./-]+\.\w+)")


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(title: str) -> list[tuple[str, str]]:
    """Every fenced block of a section, as (language, code)."""
    return FENCE.findall(section(title))


def files(title: str) -> dict[str, str]:
    named = {}
    for _, code in blocks(title):
        if match := NAME.match(code):
            named[match.group(1)] = code
    return named


def save_pages(folder: Path) -> list[str]:
    """Write the README's my-pages/ files into ``folder``; their names."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, code in files(EMBED).items():
        if name.startswith("my-pages/"):
            (folder / name.removeprefix("my-pages/")).write_text(code)
            saved.append(name.removeprefix("my-pages/"))
    return saved


def other_origin_line(language: str) -> str:
    """The README's ``BACKEND`` line for a page served from another origin than its backend."""
    (line,) = [code.strip("\n") for lang, code in blocks(EMBED) if lang == language and not NAME.match(code)
               and "BACKEND =" in code]
    return line
