"""The "my backend creates the session" flow: ask your server for {sessionId, token}.

The emulator serves `GET|POST /api/create-avatar-session` (it creates the session with its own
KS, which never reaches the page). A real deployment points this at its own server.
"""

from __future__ import annotations

import asyncio
import json

TIMEOUT_S = 15.0


class BackendError(Exception):
    """The backend did not hand out a session; `code` is what the banner shows."""

    code = "BACKEND_REQUEST_FAILED"


def credentials(body) -> tuple[str, str]:
    """(session_id, token) from the backend's JSON answer."""
    if not isinstance(body, dict):
        raise BackendError("the backend's answer is not a JSON object")
    session_id, token = body.get("sessionId"), body.get("token")
    if not isinstance(session_id, str) or not session_id or not isinstance(token, str) or not token:
        raise BackendError("the backend's answer has no sessionId and token")
    return session_id, token


async def create_session(endpoint: str, avatar_id: str, voice_id: str | None) -> tuple[str, str]:
    from pyodide.http import pyfetch

    body = {"avatarId": avatar_id, **({"voiceId": voice_id} if voice_id else {})}
    try:
        response = await asyncio.wait_for(
            pyfetch(endpoint, method="POST", headers={"Content-Type": "application/json"}, body=json.dumps(body)),
            TIMEOUT_S,
        )
    except Exception as exc:
        raise BackendError(f"could not reach the backend ({type(exc).__name__})") from None
    try:
        answer = await response.json()
    except Exception:
        answer = None
    if not response.ok:
        detail = answer.get("error") if isinstance(answer, dict) else None
        raise BackendError(f"the backend answered HTTP {response.status}" + (f": {detail}" if detail else ""))
    return credentials(answer)
