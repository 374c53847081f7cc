"""The ``Emulator`` object, the one context every handler reaches through its app
(``emulator(request)``): the settings, the sessions, and the test controls (faults, request log)."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from .config import Settings
from .faults import TestControls
from .sessions import SessionManager


@dataclass
class Emulator:
    settings: Settings
    sessions: SessionManager
    controls: TestControls = field(default_factory=TestControls)


EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator", Emulator)


def emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR]
