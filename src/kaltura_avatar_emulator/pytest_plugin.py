"""The pytest plugin for tests of your own avatar pages, registered by installing this project
(the ``pytest11`` entry point ``kaltura_avatar``). It loads in every pytest run of the environment,
so loading it imports nothing but pathlib; ``testing`` (standard library only) is imported and the
emulator started when a test first asks for one.

Fixtures:
- ``avatar_emulator``: one emulator for the test session on a free loopback port, reset before
  each test (an ``AvatarEmulator``: ``origin``, ``api_base``, ``page_url()``, the test controls,
  ``speech()`` and ``wait_for_speech()``);
- ``avatar_pages``: the folder it serves at ``/`` next to the runtime (``/kaltura-avatar/``), from the
  ini option ``kaltura_avatar_pages`` (relative to the ini file); override the fixture to choose it
  in code. Without it the emulator serves its demo.

The ini option ``kaltura_avatar_emulator_args`` passes more emulator options (``--max-sessions 2``).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import AvatarEmulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("kaltura_avatar_pages", "folder of your pages the avatar emulator serves at / "
                  "(relative to the ini file)", default="")
    parser.addini("kaltura_avatar_emulator_args", "more options for the avatar emulator, "
                  "e.g. --max-sessions 2", type="args", default=[])


@pytest.fixture(scope="session")
def avatar_pages(pytestconfig: pytest.Config) -> Path | None:
    value = pytestconfig.getini("kaltura_avatar_pages")
    if not value:
        return None
    base = pytestconfig.inipath.parent if pytestconfig.inipath else pytestconfig.rootpath
    folder = (base / value).resolve()
    if not folder.is_dir():
        pytest.fail(f"kaltura_avatar_pages = {value!r} names {folder}, which is not a folder: "
                    f"create it, or fix the option in {pytestconfig.inipath or 'your pytest configuration'}",
                    pytrace=False)
    return folder


@pytest.fixture(scope="session")
def avatar_emulator_process(avatar_pages, pytestconfig: pytest.Config, tmp_path_factory):
    """The session's emulator process (not reset: use ``avatar_emulator`` in tests)."""
    from .testing import AvatarEmulator, EmulatorError

    try:
        emulator = AvatarEmulator.start(*pytestconfig.getini("kaltura_avatar_emulator_args"), pages=avatar_pages,
                                        log=tmp_path_factory.mktemp("avatar-emulator") / "emulator.log")
    except EmulatorError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield emulator
    emulator.stop()


@pytest.fixture
def avatar_emulator(avatar_emulator_process: AvatarEmulator) -> AvatarEmulator:
    avatar_emulator_process.reset()
    return avatar_emulator_process
