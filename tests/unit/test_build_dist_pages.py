"""scripts/build_dist.py --pages (what `make dist PAGES=DIR` runs): refusals that lose nothing."""

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


def test_make_dist_passes_pages_to_the_build():
    dry = subprocess.run(["make", "-n", "dist", "PAGES=my-pages"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert re.search(r"scripts/build_dist\.py\s+--pages my-pages", dry), dry
