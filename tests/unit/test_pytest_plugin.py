"""The pytest plugin: registered by installing the project, and cheap to load in every pytest run."""

import subprocess
import sys
from importlib.metadata import entry_points

HEAVY = ("aiohttp", "aiortc", "av", "numpy", "kaltura_avatar_emulator.testing")


def test_installing_the_project_registers_the_plugin(pytestconfig):
    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "kaltura_avatar"]
    assert entry.value == "kaltura_avatar_emulator.pytest_plugin"
    plugin = pytestconfig.pluginmanager.get_plugin("kaltura_avatar")
    assert plugin is not None and plugin.__name__ == entry.value
    assert callable(plugin.avatar_emulator) and callable(plugin.avatar_pages)


def test_loading_the_plugin_imports_nothing_heavy():
    code = ("import sys, pytest; import kaltura_avatar_emulator.pytest_plugin; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True).stdout
    assert out.strip() == "[]"
