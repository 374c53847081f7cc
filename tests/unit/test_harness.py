"""The browser harness: with CI=true a missing Chromium fails the run, it never skips."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_boot_test(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/e2e/test_boot.py::test_python_runs_in_the_page_with_pydantic_and_the_sdk"],
        cwd=ROOT, env={**os.environ, "CHROMIUM": "/nonexistent/chromium", **env},
        capture_output=True, text=True, timeout=120,
    )


def test_missing_chromium_fails_under_ci():
    result = run_boot_test(CI="true")
    assert result.returncode != 0, result.stdout
    assert "a missing browser fails under CI" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_missing_chromium_skips_outside_ci():
    result = run_boot_test(CI="")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout.splitlines()[-1]
