"""The browser harness: a missing Chromium fails the run, with CI=true or without; it never skips."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("ci", ["true", "1", ""])
def test_missing_chromium_fails_the_run(ci):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/e2e/test_boot.py::test_python_runs_in_the_page_with_pydantic_and_the_sdk"],
        cwd=ROOT, env={**os.environ, "CHROMIUM": "/nonexistent/chromium", "CI": ci},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0, result.stdout
    assert "a missing browser fails the run" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
