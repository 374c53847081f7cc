"""What the JS facade (``static/kaltura-avatar.js``) calls: one ``Bridge`` per JS session, plain
Python (tested on the host), so the facade itself holds only JavaScript.

Values cross as JSON strings (plain data), except a ``File``/``Blob`` for ``sayAudio``, which the
SDK reads itself; a dataclass (``Caption``, ``ConnectionStats``) crosses as a plain object with
camelCase keys. JS may call only the methods in ``CALLS``, by their JS names. Answers are
``{"ok": true, "value": ...}`` or ``{"ok": false, "error": {"code", "message", "details", "id"}}``;
events reach JS as ``emit(name, json_args)``, an ``AvatarError`` as ``{"__avatarError__": {...}}``
with the same ``id`` as the rejection that carries it, so JS can hand out one object for both.

>>> bridge = Bridge("ks", '{"baseUrl": "https://api.example/v1/avatar-session"}', emit)  # doctest: +SKIP
>>> await bridge.call("sayText", '["Hello"]')                                           # doctest: +SKIP
'{"ok": true, "value": "turn-1733000000000-abcdefghi"}'
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel

from .errors import AvatarError
from .events import EVENTS
from .session import KalturaAvatarSession

# JS name -> (the session's method, awaited?): the whole surface the facade may reach.
CALLS: dict[str, tuple[str, bool]] = {
    "createSession": ("create_session", True),
    "initSession": ("init_session", True),
    "sayText": ("say_text", True),
    "sayAudio": ("say_audio", True),
    "interrupt": ("interrupt", True),
    "endSession": ("end_session", True),
    "attachAvatar": ("attach_avatar", False),
    "getSessionId": ("get_session_id", False),
    "getSessionState": ("get_session_state", False),
    "getConnectionState": ("get_connection_state", False),
    "isMuted": ("is_muted", False),
    "getStats": ("get_stats", True),
}


def _plain(value: Any) -> Any:
    if isinstance(value, AvatarError):
        return {"__avatarError__": _error(value)}
    if dataclasses.is_dataclass(value):  # Caption, ConnectionStats: a plain object, camelCase keys
        return {to_camel(k): v for k, v in dataclasses.asdict(value).items()}
    return value.value if isinstance(value, Enum) else value


def _error(err: AvatarError) -> dict[str, Any]:
    return {**err.to_dict(), "id": id(err)}


def _ok(value: Any = None) -> str:
    return json.dumps({"ok": True, "value": _plain(value)}, default=str)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, AvatarError):
        return json.dumps({"ok": False, "error": _error(exc)}, default=str)
    return json.dumps({"ok": False, "error": {"code": None, "message": f"{type(exc).__name__}: {exc}"}})


class Bridge:
    """One JS ``KalturaAvatarSession``'s Python side. A construction error (bad config) is kept
    in ``failure`` (a JSON answer) instead of raised, so JS can throw it as an ``AvatarError``."""

    def __init__(
        self, api_key: str | None, config_json: str | None, emit: Callable[[str, str], Any], *, platform: Any = None
    ) -> None:
        self.failure: str | None = None
        self.session: KalturaAvatarSession | None = None
        try:
            config = json.loads(config_json) if config_json is not None else None
            self.session = KalturaAvatarSession(api_key, config, platform=platform)
        except Exception as exc:
            self.failure = _failure(exc)
            return
        for name in EVENTS:
            self.session.on(name, self._forward(emit, name))

    @staticmethod
    def _forward(emit: Callable[[str, str], Any], name: str) -> Callable[..., None]:
        return lambda *args: emit(name, json.dumps([_plain(a) for a in args], default=str))

    def _method(self, name: str, awaited: bool) -> Callable[..., Any]:
        if name not in CALLS or CALLS[name][1] is not awaited:
            raise ValueError(f"{name} is not a method the facade may call {'async' if awaited else 'sync'}")
        if self.session is None:
            raise ValueError("this session was released")
        return getattr(self.session, CALLS[name][0])

    async def call(self, name: str, args_json: str, blob: Any = None) -> str:
        """An awaited method; ``blob`` (a JS ``File``/``Blob``) replaces the first argument."""
        try:
            args = json.loads(args_json)
            if blob is not None:
                args[0] = blob
            return _ok(await self._method(name, True)(*args))
        except Exception as exc:
            return _failure(exc)

    def call_sync(self, name: str, args_json: str) -> str:
        try:
            return _ok(self._method(name, False)(*json.loads(args_json)))
        except Exception as exc:
            return _failure(exc)

    def release(self) -> None:
        """Drop the session (after ``endSession``) and, with it, the JS ``emit`` callback."""
        self.session = None
