"""The README's commands for your own pages: `make demo PAGES=DIR` runs the emulator with --pages,
`make dist PAGES=DIR` runs scripts/build_dist.py --pages, whose refusals lose nothing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_dist  # noqa: E402


@pytest.fixture
def pages(tmp_path):
    folder = tmp_path / "my-pages"
    folder.mkdir()
    (folder / "js-page.html").write_text("<p>mine</p>")
    return folder


@pytest.mark.parametrize("out", ["my-pages", ".", "my-pages/dist"])
def test_an_output_folder_holding_the_pages_or_inside_them_is_refused(pages, out):
    with pytest.raises(SystemExit, match="must not hold one another"):
        build_dist.build((pages.parent / out).resolve(), pages=pages)
    assert (pages / "js-page.html").read_text() == "<p>mine</p>" and not (pages / "dist").exists()


def test_the_demo_s_backend_options_are_refused_with_pages(pages, tmp_path):
    with pytest.raises(SystemExit, match="your pages name their backend themselves"):
        build_dist.build(tmp_path / "dist", backend="http://127.0.0.1:8000", pages=pages)


@pytest.mark.parametrize("target, command", [
    ("demo", r"-m kaltura_avatar_emulator --host 127\.0\.0\.1 --port 8000\s+--pages my-pages$"),
    ("dist", r"scripts/build_dist\.py\s+--pages my-pages$"),
])
def test_make_passes_pages_on(target, command):
    dry = subprocess.run(["make", "-n", target, "PAGES=my-pages"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert re.search(command, dry, re.MULTILINE), dry
