"""The "my backend creates the session" flow: ask your server for {sessionId, token}.

The emulator serves `GET|POST /api/create-avatar-session` (it creates the session with its own
KS, which never reaches the page). A real deployment points this at its own server. What goes
wrong is said in plain words (`BackendError`); a server's HTML error page is never shown.
"""

from __future__ import annotations

import asyncio
import json

from kaltura_avatar.messages import server_text, unreachable

TIMEOUT_S = 15.0


class BackendError(Exception):
    """The backend did not hand out a session; `code` is what the banner shows for developers."""

    code = "BACKEND_REQUEST_FAILED"


def credentials(body) -> tuple[str, str]:
    """(session_id, token) from the backend's JSON answer."""
    if not isinstance(body, dict):
        raise BackendError("Your backend's answer is not JSON: check the backend endpoint in the Connect panel.")
    session_id, token = body.get("sessionId"), body.get("token")
    if not isinstance(session_id, str) or not session_id or not isinstance(token, str) or not token:
        raise BackendError("Your backend answered without a sessionId and token: check the backend endpoint.")
    return session_id, token


def refused(status: int, answer) -> BackendError:
    """An error status from the backend, with its own words when it sent JSON ones."""
    said = server_text(answer.get("error")) if isinstance(answer, dict) else None
    because = f"HTTP {status}: {said}" if said else f"HTTP {status}"
    return BackendError(f"Your backend did not create a session ({because}). Check its log, then try again.")


async def create_session(endpoint: str, avatar_id: str, voice_id: str | None) -> tuple[str, str]:
    from pyodide.http import pyfetch

    body = {"avatarId": avatar_id, **({"voiceId": voice_id} if voice_id else {})}
    try:
        response = await asyncio.wait_for(
            pyfetch(endpoint, method="POST", headers={"Content-Type": "application/json"}, body=json.dumps(body)),
            TIMEOUT_S,
        )
    except TimeoutError:
        raise BackendError(unreachable(endpoint, timeout=TIMEOUT_S, what="your backend")) from None
    except Exception:  # refused, offline, CORS: the browser does not tell them apart
        raise BackendError(unreachable(endpoint, timeout=None, what="your backend")) from None
    try:
        answer = await response.json()
    except Exception:
        answer = None
    if not response.ok:
        raise refused(response.status, answer)
    return credentials(answer)
