"""Session and connection states (the seed's values) and the transitions allowed between them."""

from __future__ import annotations

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

_C = ConnectionState
CONNECTION_TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    _C.DISCONNECTED: frozenset({_C.CONNECTING, _C.CLOSED}),
    _C.CONNECTING: frozenset({_C.CONNECTED, _C.DISCONNECTED, _C.FAILED, _C.CLOSED}),
    _C.CONNECTED: frozenset({_C.CONNECTING, _C.DISCONNECTED, _C.FAILED, _C.CLOSED}),
    _C.FAILED: frozenset({_C.CONNECTING, _C.CLOSED}),
    _C.CLOSED: frozenset(),
}

