"""The words people read when a backend call fails: what happened and what to do next.

``control`` and ``whep`` build their ``AvatarError`` messages here; the code and ``details``
(status, route, the server's own text) stay for developers. A message names the host when the
network failed, and never carries a server's HTML page.

>>> unreachable("http://127.0.0.1:8000/v1/avatar-session/create", timeout=None)
"Can't reach http://127.0.0.1:8000. Is the emulator running?"
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# What each Control API route does, as the end of "The avatar service could not ..."
DOING = {
    "create": "create the session",
    "init-client": "start the session's media",
    "say-text": "speak the text",
    "say-audio": "speak the audio",
    "interrupt": "interrupt the speech",
    "keep-alive": "keep the session alive",
    "end": "end the session",
}
SERVER_TEXT_LIMIT = 200


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (the whole text when it is not a URL)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url


def is_loopback_host(host: str | None) -> bool:
    """`localhost`, or an IP address in 127.0.0.0/8 or ::1 (brackets allowed), compared exactly,
    never by prefix (`127.evil.example` is not loopback)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local(url: str) -> bool:
    """The URL names this machine."""
    return is_loopback_host(urlsplit(url).hostname)


def unreachable(url: str, *, timeout: float | None, what: str = "") -> str:
    """No answer from ``url``'s host: refused, offline, or ``timeout`` seconds of silence."""
    host = origin(url)
    said = f"{what} at {host}" if what else host
    if timeout is not None:
        first = f"No answer from {said} within {timeout:g} s."
    else:
        first = f"Can't reach {said}."
    if is_local(url):
        return f"{first} Is the emulator running?"
    return f"{first} Check your network connection and the base URL, then try again."


def server_text(text: str | None) -> str | None:
    """The server's own error text, fit for a message: short, and never markup."""
    if not text:
        return None
    text = " ".join(str(text).split())
    if not text or ("<" in text and ">" in text):
        return None
    return text if len(text) <= SERVER_TEXT_LIMIT else text[: SERVER_TEXT_LIMIT - 1] + "…"


def refused(route: str, status: int, said: str | None) -> str:
    """401/403: the credential was refused."""
    because = f" ({status}: {said})" if said else f" ({status})"
    if route == "create":
        return (f"The avatar service refused the Kaltura Session (KS){because}. Check that your Kaltura "
                "Session is valid, not expired and allowed to use avatars, then try again.")
    return (f"The avatar service refused the session's token{because}. Start a new session "
            "(the token may be for another session, or expired).")


def ended(status: int, said: str | None) -> str:
    """404/410 on a session route: the server no longer has the session."""
    because = f" ({status}: {said})" if said else f" ({status})"
    return (f"The avatar session has ended{because}: it timed out, or was ended elsewhere. "
            "Start a new session.")


def failed(route: str, status: int, said: str | None) -> str:
    """Any other error status."""
    doing = DOING.get(route, route)
    because = f" ({status}: {said})" if said else f" ({status})"
    if status == 429:
        return (f"The avatar service has too many sessions open{because}. End one, or wait a "
                "moment, then try again.")
    if status >= 500:
        return f"The avatar service could not {doing}{because}. Try again in a moment."
    return (f"The avatar service refused to {doing}{because}. Check that the base URL is the "
            "avatar Control API.")


def malformed(route: str, why: str) -> str:
    return (f"The avatar service's answer could not be used to {DOING.get(route, route)} ({why}). "
            "Check that the base URL is the avatar Control API.")
