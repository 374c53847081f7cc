"""What every handler reaches through the app: settings, sessions, test-control state."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from .config import Settings
from .sessions import SessionManager
from .faults import TestState


@dataclass
class Emulator:
    settings: Settings
    sessions: SessionManager
    test: TestState = field(default_factory=TestState)


EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator", Emulator)


def emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR]
