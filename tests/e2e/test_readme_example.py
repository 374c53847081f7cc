"""The README's "Test your own page" example is a test of this project. Its test functions are
compiled from README.md when this module is collected and run here, with pytest-playwright's
`page` (guarded like every page of this suite: conftest's `page`) and the plugin's `avatar_emulator`
serving the README's pages (conftest's `avatar_pages`). Beside them, the README's configuration
runs in a pytest of its own, as in a user's project: the installed plugin, found through its entry
point, serves the folder that configuration names and resets the emulator between tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import readme

EXAMPLE = "tests/test_my_page.py"
ALLOWED_CONSOLE_ERRORS = [r"the server responded with a status of 503"]  # the faults the example injects

exec(compile(readme.files(readme.TESTING)[EXAMPLE], f"README.md: {EXAMPLE}", "exec"))

A_USERS_TESTS = '''
    import urllib.request


    def fetch(url):
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.read()


    def test_the_folder_is_served_beside_the_runtime(avatar_emulator, avatar_pages):
        assert avatar_pages.name == "my-pages" and avatar_pages.parent.name == "project"
        assert fetch(avatar_emulator.page_url("js-page.html")) == (avatar_pages / "js-page.html").read_bytes()
        assert fetch(avatar_emulator.origin + "/kaltura-avatar/kaltura-avatar.js").startswith(b"//")
        avatar_emulator.call("POST", "/api/create-avatar-session", {"avatarId": "avatar-123"})
        assert len(avatar_emulator.sessions()) == 1


    def test_each_test_starts_from_a_reset_emulator(avatar_emulator):
        assert avatar_emulator.sessions() == [] and avatar_emulator.requests() == []
'''


def test_the_readme_configuration_makes_the_installed_plugin_serve_that_folder(tmp_path, avatar_pages):
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(readme.files(readme.TESTING)["pyproject.toml"])
    shutil.copytree(avatar_pages, project / "my-pages")
    (project / "tests" / "test_plugin.py").write_text(textwrap.dedent(A_USERS_TESTS))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
