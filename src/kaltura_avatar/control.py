"""The Control API client: the seven routes (create, init-client, say-text, say-audio,
interrupt, keep-alive, end), their auth headers and bodies, retries, and HTTP status ->
``AvatarError`` exactly as in protocol.md section 3. It holds the session id and token once
known; the media side (``whep``) takes over from the init-client answer.

| status                      | code                | retried |
|-----------------------------|---------------------|---------|
| 401 / 403                   | UNAUTHORIZED        | no      |
| 404 / 410 (session routes)  | SESSION_NOT_FOUND   | no      |
| 429, 5xx, network, timeout  | API_REQUEST_FAILED  | yes (``Retry-After`` honoured) |
| other 4xx, malformed 2xx    | API_REQUEST_FAILED  | no      |
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import messages
from .errors import AvatarError, AvatarErrorCode
from .log import DEFAULT_LOG, SessionLog, add_secret, remove_secret
from .ports import HttpClient, HttpResponse, TransportError
from .retry import Retryable, parse_retry_after, with_retries
from .whep import TurnServer, WhepEndpoint

if TYPE_CHECKING:  # annotations only: the pydantic models load on first use
    from .config import RetryConfig

CLIENT_ID = "kaltura-avatar-sdk"


class ControlClient:
    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        retry: RetryConfig,
        *,
        timeout: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        log: SessionLog = DEFAULT_LOG,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._http = http
        self._retry = retry
        self._timeout = timeout
        self._sleep = sleep
        self._log = log
        self.session_id: str | None = None
        self.token: str | None = None

    def adopt(self, session_id: str, token: str) -> None:
        """Take the session (made here or by the page's backend); its token becomes a secret."""
        add_secret(token)
        self.session_id, self.token = session_id, token

    def forget_token(self) -> None:
        remove_secret(self.token)

    async def settle_create(self, call: asyncio.Future, timeout: float) -> None:
        """Teardown while ``call`` (a create) is still under way: wait up to ``timeout`` to learn
        the session it made (so ``end()`` ends it); if it is still retrying then, end whatever
        session it makes once it makes one."""
        try:
            self.adopt(*await asyncio.wait_for(asyncio.shield(call), timeout))
        except TimeoutError:
            call.add_done_callback(self._end_when_made)
        except (AvatarError, asyncio.CancelledError):
            pass

    def _end_when_made(self, call: asyncio.Future) -> None:
        if not call.cancelled() and call.exception() is None:
            self.adopt(*call.result())
            self._log.info("Ending session %s, created after the end was asked for", self.session_id)
            self.end_now()

    # --- routes -------------------------------------------------------------------------
    async def create(self, ks: str, avatar_id: str, voice_id: str | None) -> tuple[str, str]:
        body: dict[str, Any] = {"clientId": CLIENT_ID, "visualConfig": {"id": avatar_id}}
        if voice_id:
            body["voiceConfig"] = {"id": voice_id}
        data = await self._post("create", f"{self._base}/create", f"KS {ks}", _json(body))
        session_id, token = data.get("sessionId"), data.get("token")
        if not _nonempty_str(session_id) or not _nonempty_str(token):
            raise _malformed("create", "no sessionId/token")
        return session_id, token

    async def init_client(self) -> WhepEndpoint:
        data = await self._post_session("init-client", {})
        whep_url, turn = data.get("whepUrl"), data.get("turn")
        if not _nonempty_str(whep_url) or not whep_url.startswith(("http://", "https://")):
            raise _malformed("init-client", "no usable whepUrl")
        if isinstance(turn, dict) and _nonempty_str(turn.get("url")):
            turn = TurnServer(str(turn["url"]), str(turn.get("username") or ""), str(turn.get("credential") or ""))
        else:
            turn = None
        return WhepEndpoint(whep_url, turn)

    async def say_text(self, text: str, turn_id: str, is_final: bool) -> None:
        await self._post_session("say-text", {"text": text, "turnId": turn_id, "isFinal": is_final})

    async def say_audio(self, mp3: bytes, turn_id: str, duration: float) -> None:
        content_type, body = multipart(
            {"turnId": turn_id, "duration": decimal_string(duration)},
            ("audio", "audio.mp3", "audio/mpeg", mp3),
        )
        await self._post_session("say-audio", body, content_type)

    async def interrupt(self) -> None:
        await self._post_session("interrupt", {})

    async def keep_alive(self) -> None:
        await self._post_session("keep-alive", {})

    async def keep_alive_forever(self, interval_s: float, on_failure: Callable[[AvatarError], Any]) -> AvatarError:
        """Keep-alive every ``interval_s``. A failure that outlasts the retries goes to
        ``on_failure`` and the schedule goes on; returns the ``SESSION_NOT_FOUND`` error once the
        server has ended the session (404/410)."""
        while True:
            await self._sleep(interval_s)
            try:
                await self.keep_alive()
            except AvatarError as err:
                if err.code is AvatarErrorCode.SESSION_NOT_FOUND:
                    return err
                self._log.warning("keep-alive failed: %s", err.message)
                on_failure(err)

    async def end(self) -> None:
        """End the session; a 404/410 means it is already over, which is what we wanted."""
        try:
            await self._post_session("end", {})
        except AvatarError as err:
            if err.code is not AvatarErrorCode.SESSION_NOT_FOUND:
                raise

    def end_now(self) -> None:
        """Best-effort end that outlives the page (pagehide)."""
        if self.session_id and self.token:
            self._http.send_and_forget(
                "POST", self._url("end"), headers=self._headers(_JSON), body="{}"
            )

    # --- machinery ----------------------------------------------------------------------
    def _url(self, route: str) -> str:
        return f"{self._base}/{quote(self.session_id or '', safe='')}/{route}"

    def _headers(self, content_type: str, auth: str | None = None) -> dict[str, str]:
        return {"Content-Type": content_type, "Authorization": auth or f"Bearer {self.token}"}

    async def _post_session(
        self, route: str, body: dict | bytes, content_type: str = "application/json"
    ) -> dict[str, Any]:
        if not self.session_id or not self.token:
            raise AvatarError(
                AvatarErrorCode.INVALID_STATE,
                f"There is no session to {messages.DOING.get(route, route)}: start one first.", {"route": route},
            )
        payload = _json(body) if isinstance(body, dict) else body
        return await self._post(route, self._url(route), f"Bearer {self.token}", payload, content_type)

    async def _post(
        self, route: str, url: str, auth: str, body: str | bytes, content_type: str = "application/json"
    ) -> dict[str, Any]:
        headers = self._headers(content_type, auth)

        async def attempt(n: int) -> dict[str, Any]:
            try:
                response = await self._http.request(
                    "POST", url, headers=headers, body=body, timeout=self._timeout
                )
            except TransportError as exc:
                raise Retryable(
                    AvatarError(
                        AvatarErrorCode.API_REQUEST_FAILED,
                        messages.unreachable(url, timeout=self._timeout if exc.timeout else None),
                        {"route": route, "status": None, "timeout": exc.timeout, "url": messages.origin(url),
                         "error": str(exc)},
                    )
                ) from None
            self._log.debug("%s -> %d (attempt %d)", route, response.status, n)
            return check_response(route, response)

        return await with_retries(attempt, self._retry, what=route, sleep=self._sleep, log=self._log)


_JSON = "application/json"


def check_response(route: str, response: HttpResponse) -> dict[str, Any]:
    """The JSON body of a 2xx, or the error this status means (``Retryable`` when it is transient)."""
    status = response.status
    if 200 <= status < 300:
        try:
            data = json.loads(response.body)
        except ValueError:
            raise _malformed(route, "not JSON", status) from None
        if not isinstance(data, dict) or data.get("success") is False:
            raise _malformed(route, "not a success object", status)
        return data
    server_error = _server_error(response.body)
    details = {"route": route, "status": status, "error": server_error}
    said = messages.server_text(server_error)
    if status in (401, 403):
        raise AvatarError(AvatarErrorCode.UNAUTHORIZED, messages.refused(route, status, said), details)
    if status in (404, 410) and route != "create":
        raise AvatarError(AvatarErrorCode.SESSION_NOT_FOUND, messages.ended(status, said), details)
    error = AvatarError(AvatarErrorCode.API_REQUEST_FAILED, messages.failed(route, status, said), details)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.header("Retry-After")) if status in (429, 503) else None
        raise Retryable(error, retry_after)
    raise error


def _server_error(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200] or None
    if isinstance(data, dict):
        message = data.get("error") or data.get("message")
        if isinstance(message, dict):
            message = message.get("message")
        return str(message)[:200] if message else None
    return None


def _malformed(route: str, why: str, status: int | None = 200) -> AvatarError:
    return AvatarError(
        AvatarErrorCode.API_REQUEST_FAILED,
        messages.malformed(route, why),
        {"route": route, "status": status, "malformed": True},
    )


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def decimal_string(value: float) -> str:
    """``3.5`` -> ``"3.5"``, ``2`` -> ``"2"``, never exponent notation."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "0") else f"{float(value):.6g}"


def multipart(fields: dict[str, str], file: tuple[str, str, str, bytes]) -> tuple[str, bytes]:
    """A multipart/form-data body: text ``fields`` then one file part ``(name, filename, type, data)``."""
    boundary = "----kaltura-avatar-" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    name, filename, content_type, data = file
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
    )
    chunks += [data, f"\r\n--{boundary}--\r\n".encode()]
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)
