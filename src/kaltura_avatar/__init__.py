"""Kaltura Avatar Client SDK for Python in the browser (PyScript/Pyodide): the public names.

>>> from kaltura_avatar import KalturaAvatarSession  # doctest: +SKIP
>>> session = KalturaAvatarSession("<ks>", {"baseUrl": "https://api.avatar.us.kaltura.ai/v1/avatar-session"})
... # doctest: +SKIP
"""

from .config import AvatarConfig, CreateSessionOptions, InitSessionOptions, InitSessionParams, RetryConfig
from .errors import AvatarError, AvatarErrorCode
from .events import EVENTS
from .session import KalturaAvatarSession
from .speech import new_turn_id
from .states import ConnectionState, SessionState

__version__ = "0.1.0"

__all__ = [
    "EVENTS",
    "AvatarConfig",
    "AvatarError",
    "AvatarErrorCode",
    "ConnectionState",
    "CreateSessionOptions",
    "InitSessionOptions",
    "InitSessionParams",
    "KalturaAvatarSession",
    "RetryConfig",
    "SessionState",
    "__version__",
    "new_turn_id",
]
