"""Session and connection states (the seed's values), the transitions allowed between them, and
``transition()``, which every state change goes through (a change not in the table is logged and
ignored, never applied).

>>> SessionState.READY in SESSION_TRANSITIONS[SessionState.CREATING]
True
"""

from __future__ import annotations

import logging
from enum import StrEnum


class SessionState(StrEnum):
    IDLE = "IDLE"
    CREATING = "CREATING"
    READY = "READY"
    ENDED = "ENDED"
    ERROR = "ERROR"


class ConnectionState(StrEnum):
    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    FAILED = "FAILED"
    CLOSED = "CLOSED"


_S = SessionState
SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    _S.IDLE: frozenset({_S.CREATING}),
    _S.CREATING: frozenset({_S.READY, _S.ERROR, _S.ENDED}),
    _S.READY: frozenset({_S.ENDED}),
    _S.ERROR: frozenset({_S.ENDED}),
    _S.ENDED: frozenset(),
}

# Why a call that needs another state cannot run now, and what to do (the INVALID_STATE message).
NOT_NOW: dict[SessionState, str] = {
    _S.IDLE: "the session has not started: call create_session() or init_session() first",
    _S.CREATING: "the session is still starting: wait for create_session() or init_session() to return",
    _S.READY: "the session has already started: end it, or make a new KalturaAvatarSession",
    _S.ENDED: "the session has ended: make a new KalturaAvatarSession to start another",
    _S.ERROR: "the session failed to start: make a new KalturaAvatarSession to try again",
}
ENDING = "the session is ending: make a new KalturaAvatarSession to start another"

_C = ConnectionState
CONNECTION_TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    _C.DISCONNECTED: frozenset({_C.CONNECTING, _C.CLOSED}),
    _C.CONNECTING: frozenset({_C.CONNECTED, _C.DISCONNECTED, _C.FAILED, _C.CLOSED}),
    _C.CONNECTED: frozenset({_C.CONNECTING, _C.DISCONNECTED, _C.FAILED, _C.CLOSED}),
    _C.FAILED: frozenset({_C.CONNECTING, _C.CLOSED}),
    _C.CLOSED: frozenset(),
}


def transition(table: dict, current: StrEnum, new: StrEnum, event: str, log: logging.LoggerAdapter) -> bool:
    """True if ``current -> new`` is a change the table allows (and log it); False for no change
    or a change that is not allowed."""
    if new is current:
        return False
    if new not in table[current]:
        log.error("Ignored %s %s -> %s (not allowed)", event, current.value, new.value)
        return False
    log.debug("%s: %s -> %s", event, current.value, new.value)  # at debug: the events say it too
    return True
