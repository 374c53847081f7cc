"""WHEP (WebRTC-HTTP Egress) and the media types: where the media is (``WhepEndpoint``, from
the init-client answer) and its TURN server (``TurnServer``), the ICE servers built from it,
the offer POST, the answer's ``Location``/``ETag``, trickle ICE over PATCH, and DELETE
(protocol.md section 2). The SDK's media connection and the emulator's test viewer both use it.

WHEP statuses: 201 answer; 404 no such stream (final: never retried); 409 the stream already has
a viewer and 5xx (retried, ``Retry-After`` honoured); anything else fails at once. Every failure
is a ``MediaError`` (``RTC_CONNECTION_FAILED``) with ``details.status``; ``error.final`` says
whether trying again can help.

>>> ice_servers(TurnServer("turn.example", "u", "p"))[0]["urls"][0]
'turn:turn.example:80?transport=udp'
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from dataclasses import dataclass

from . import messages
from .errors import AvatarError, AvatarErrorCode
from .log import DEFAULT_LOG, SessionLog
from .ports import HttpClient, TransportError
from .retry import Retryable, parse_retry_after, with_retries

if TYPE_CHECKING:  # annotations only: the pydantic models load on first use
    from .config import RetryConfig

SDP = "application/sdp"
SDPFRAG = "application/trickle-ice-sdpfrag"
NO_TRICKLE = (405, 422, 501)


@dataclass(frozen=True)
class TurnServer:
    """The TURN server of the init-client answer: a bare host in ``url`` and its credentials."""

    url: str
    username: str = ""
    credential: str = ""


@dataclass(frozen=True)
class WhepEndpoint:
    """Where a session's media is: the init-client answer's ``whepUrl`` and ``turn``."""

    whep_url: str
    turn: TurnServer | None


class MediaError(AvatarError):
    """``RTC_CONNECTION_FAILED``: the media did not come; ``final`` when retrying cannot help."""

    def __init__(self, message: str, *, final: bool = False, **details: Any) -> None:
        super().__init__(AvatarErrorCode.RTC_CONNECTION_FAILED, message, {"route": "whep", **details})
        self.final = final


def ice_servers(turn: TurnServer | None) -> list[dict[str, Any]]:
    """One ICE server entry with the four TURN URLs protocol.md 2.1 derives from a bare host."""
    if turn is None:
        return []
    host = turn.url.strip()
    for prefix in ("turns:", "turn:"):
        if host.lower().startswith(prefix):
            host = host[len(prefix):]
            break
    host = host.rstrip("/")
    if not host:
        return []
    urls = [
        f"turn:{host}:80?transport=udp",
        f"turn:{host}:443?transport=udp",
        f"turn:{host}:80?transport=tcp",
        f"turns:{host}:443?transport=tcp",
    ]
    return [{"urls": urls, "username": turn.username, "credential": turn.credential}]


class WhepResource:
    """A negotiated WHEP session: where to PATCH candidates and what to DELETE."""

    def __init__(
        self, http: HttpClient, location: str | None, etag: str | None, timeout: float, log: SessionLog = DEFAULT_LOG
    ) -> None:
        self._http = http
        self._log = log
        self.location = location
        self.etag = etag
        self._timeout = timeout
        self.trickle = location is not None
        self.deleted = False

    async def patch(self, fragment: str) -> None:
        """Send trickle candidates; a 405/422/501 (or no ``Location``) turns trickling off."""
        if not self.trickle or self.deleted:
            return
        headers = {"Content-Type": SDPFRAG}
        if self.etag:
            headers["If-Match"] = self.etag
        try:
            response = await self._http.request(
                "PATCH", self.location, headers=headers, body=fragment, timeout=self._timeout
            )
        except TransportError as exc:
            self._log.debug("WHEP PATCH failed: %s", exc)
            return
        if response.status in NO_TRICKLE:
            self._log.debug("WHEP server takes no trickle (%d); candidates stay in checks", response.status)
            self.trickle = False
        elif response.status >= 300:
            self._log.debug("WHEP PATCH answered %d", response.status)

    async def delete(self) -> None:
        """Best effort: the resource is released whatever the answer."""
        if self.location is None or self.deleted:
            return
        self.deleted = True
        try:
            response = await self._http.request(
                "DELETE", self.location, headers={}, body=None, timeout=self._timeout
            )
            self._log.debug("WHEP DELETE -> %d", response.status)
        except TransportError as exc:
            self._log.debug("WHEP DELETE failed: %s", exc)

    def delete_now(self) -> None:
        """DELETE that outlives the page (pagehide)."""
        if self.location is not None and not self.deleted:
            self.deleted = True
            self._http.send_and_forget("DELETE", self.location, headers={}, body=None)


async def negotiate(
    http: HttpClient,
    whep_url: str,
    offer_sdp: str,
    retry: RetryConfig,
    *,
    timeout: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    attempts: int | None = None,
    log: SessionLog = DEFAULT_LOG,
) -> tuple[str, WhepResource]:
    """POST the offer; return the answer SDP and the resource (``Location`` resolved against the
    URL the answer came from). Tried up to ``attempts`` times (default: ``retry.max_attempts``)."""

    async def attempt(n: int) -> tuple[str, WhepResource]:
        try:  # the HTTP port follows a 307/308 itself and says where the answer came from
            response = await http.request(
                "POST", whep_url, headers={"Content-Type": SDP}, body=offer_sdp, timeout=timeout
            )
        except TransportError as exc:
            message = messages.unreachable(whep_url, timeout=timeout if exc.timeout else None, what="the media server")
            raise Retryable(MediaError(message, status=None, url=messages.origin(whep_url), error=str(exc))) from None
        url, location = response.url or whep_url, response.header("Location")
        status = response.status
        log.debug("WHEP POST -> %d (attempt %d)", status, n)
        if status in (200, 201) and response.body.strip():
            resource = WhepResource(
                http, urljoin(url, location) if location else None, response.header("ETag"), timeout, log
            )
            if location is None:
                log.warning("WHEP answer has no Location: no trickle, no DELETE")
            return response.body, resource
        if status == 404:
            raise MediaError(
                "The avatar's video stream was not found (404): the session has probably ended. "
                "Start a new session.", final=True, status=404,
            )
        if status == 409 or status >= 500:
            retry_after = parse_retry_after(response.header("Retry-After"))
            raise Retryable(MediaError(_refused(status), status=status), retry_after)
        raise MediaError(_refused(status), status=status)

    return await with_retries(attempt, retry, what="whep", sleep=sleep, attempts=attempts, log=log)


def _refused(status: int) -> str:
    if status == 409:
        return ("The avatar's video is already playing in another tab or window (409). Close it, "
                "or wait a few seconds, then try again.")
    return f"The media server refused the avatar's video connection ({status}). Try again in a moment."


def sdp_fragment(offer_sdp: str, candidates: list[tuple[str, str | None, int | None]], end: bool) -> str:
    """An RFC 8840 ``trickle-ice-sdpfrag`` body for ``candidates`` (grouped by m-line)."""
    ufrag = pwd = None
    media: list[tuple[str, str]] = []  # (kind line, mid) per m-line of the offer
    for line in offer_sdp.splitlines():
        if line.startswith("a=ice-ufrag:") and ufrag is None:
            ufrag = line
        elif line.startswith("a=ice-pwd:") and pwd is None:
            pwd = line
        elif line.startswith("m="):
            media.append((line.split(" ", 1)[0][2:], ""))
        elif line.startswith("a=mid:") and media and not media[-1][1]:
            media[-1] = (media[-1][0], line[6:])
    lines = [x for x in (ufrag, pwd) if x]
    by_mid: dict[str, list[str]] = {}
    for candidate, mid, index in candidates:
        if mid is None and index is not None and index < len(media):
            mid = media[index][1]
        by_mid.setdefault(mid or (media[0][1] if media else "0"), []).append(candidate)
    if end and not by_mid:
        by_mid[media[0][1] if media else "0"] = []
    kinds = {mid: kind for kind, mid in media}
    for mid, lines_for_mid in by_mid.items():
        lines.append(f"m={kinds.get(mid, 'audio')} 9 UDP/TLS/RTP/SAVPF 0")
        lines.append(f"a=mid:{mid}")
        lines += [f"a={c}" if not c.startswith("a=") else c for c in lines_for_mid]
        if end:
            lines.append("a=end-of-candidates")
    return "\r\n".join(lines) + "\r\n"


class Trickler:
    """Collects local candidates and PATCHes them in batches once the resource is known."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, str | None, int | None]] = []
        self._ended = False
        self._wake = asyncio.Event()

    def add(self, candidate: str | None, mid: str | None, index: int | None) -> None:
        if candidate:
            self._pending.append((candidate, mid, index))
        else:
            self._ended = True
        self._wake.set()

    async def run(self, resource: WhepResource, offer_sdp: str) -> None:
        """Send what is pending, then each new batch, until gathering ends or trickle is off."""
        while resource.trickle:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            end = self._ended
            if batch or end:
                await resource.patch(sdp_fragment(offer_sdp, batch, end))
            if end:
                return
