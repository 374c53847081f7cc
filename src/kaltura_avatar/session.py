"""``KalturaAvatarSession``: the orchestrator of the Control API, the media connection, the
``<video>`` element, keep-alive, recovery and speaking detection.

>>> session = KalturaAvatarSession("my-ks", {"baseUrl": "https://api.example/v1/avatar-session"})
... # doctest: +SKIP
>>> await session.create_session("avatar-123", "voice-456", "avatar-container")  # doctest: +SKIP
>>> await session.say_text("Hello!")  # doctest: +SKIP
>>> await session.end_session()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from .config import (
    AvatarConfig,
    CreateSessionOptions,
    InitSessionOptions,
    InitSessionParams,
    RetryConfig,
    is_finite_positive,
    is_header_safe,
)
from .connection import MediaConnection
from .control import ClientInfo, ControlClient
from .errors import AvatarError, AvatarErrorCode
from .events import EventEmitter
from .log import add_secret, logger, remove_secret, set_level
from .mp3 import mp3_sample_rate
from .ports import AudioMeter, MediaStats, MediaView, Platform
from .retry import backoff_delays
from .speech import SpeakingDetector, new_turn_id, split_text
from .states import CONNECTION_TRANSITIONS, SESSION_TRANSITIONS, ConnectionState, SessionState

E = AvatarErrorCode
S = SessionState
C = ConnectionState
HANDLER_DRAIN_S = 1.0  # how long end_session lets async event handlers finish


def _emits_errors(method: Callable) -> Callable:
    """Every ``AvatarError`` a public method raises is also emitted as the ``error`` event."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def async_wrapper(self: KalturaAvatarSession, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except AvatarError as err:
                self._events.emit("error", err)
                raise

        return async_wrapper

    @functools.wraps(method)
    def wrapper(self: KalturaAvatarSession, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AvatarError as err:
            self._events.emit("error", err)
            raise

    return wrapper


def _invalid(message: str, **details: Any) -> AvatarError:
    return AvatarError(E.INVALID_CONFIGURATION, message, details or None)


def _check_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{name} must be a non-empty string")
    return value


def _default_platform() -> Platform:
    if sys.platform == "emscripten":
        from .browser import BrowserPlatform

        return BrowserPlatform()
    raise _invalid("kaltura_avatar runs in a browser (Pyodide); elsewhere pass platform=")


class KalturaAvatarSession:
    """One avatar session, the seed's ``KalturaAvatarSession`` with Pythonic names.

    ``api_key`` (a KS) is needed only for ``create_session``; ``config`` is an ``AvatarConfig``
    or a dict (camelCase or snake_case keys) with at least ``base_url``.
    """

    def __init__(
        self, api_key: str | None = None, config: AvatarConfig | dict | None = None, *, platform: Platform | None = None
    ) -> None:
        if config is None:
            raise _invalid("config with base_url is required")
        self._config: AvatarConfig = AvatarConfig.parse(config)
        if api_key is not None:
            _check_id(api_key, "api_key")
            if not is_header_safe(api_key):
                raise _invalid("api_key must be printable ASCII without spaces (it is sent in a header)")
        set_level(self._config.log_level)
        self._platform = platform or _default_platform()
        self._api_key = api_key
        add_secret(api_key)
        self._events = EventEmitter()
        self._state = S.IDLE
        self._connection = C.DISCONNECTED
        self._control = ControlClient(
            self._config.base_url,
            self._platform.http,
            self._config.retry_config,
            timeout=self._config.request_timeout_s,
            sleep=self._platform.sleep,
        )
        self._info: ClientInfo | None = None
        self._media: MediaConnection | None = None
        self._view: MediaView | None = None
        self._meter: AudioMeter | None = None
        self._meter_stream: Any = None
        self._detector = SpeakingDetector()
        self._tasks: dict[str, asyncio.Task] = {}
        self._create_call: asyncio.Future | None = None
        self._end_task: asyncio.Future | None = None
        self._say_lock = asyncio.Lock()
        self._unsubscribe_pagehide: Callable[[], None] | None = None
        self._released = False  # the server session was ended (or given up on) once already
        self.connect_time_s: float | None = None  # offer to first decoded frame, last connection

    # --- state --------------------------------------------------------------------------
    def get_session_id(self) -> str | None:
        return self._control.session_id

    def get_session_state(self) -> SessionState:
        return self._state

    def get_connection_state(self) -> ConnectionState:
        return self._connection

    # --- events -------------------------------------------------------------------------
    @_emits_errors
    def on(self, event: str, callback: Callable[..., Any]) -> None:
        self._events.on(event, callback)

    @_emits_errors
    def once(self, event: str, callback: Callable[..., Any]) -> None:
        self._events.on(event, callback, once=True)

    @_emits_errors
    def off(self, event: str, callback: Callable[..., Any] | None = None) -> None:
        self._events.off(event, callback)

    # --- session lifecycle --------------------------------------------------------------
    @_emits_errors
    async def create_session(
        self,
        avatar_id: str | dict | CreateSessionOptions | None = None,
        voice_id: str | None = None,
        video_container_id: str | None = None,
    ) -> None:
        """Create a session with the KS, connect its media, resolve at the first decoded frame.

        Also accepts the seed's shape: ``create_session({"avatarId": ..., "voiceId": ...,
        "videoContainerId": ...})``.
        """
        self._require(S.IDLE)
        if isinstance(avatar_id, (dict, CreateSessionOptions)):
            if voice_id is not None or video_container_id is not None:
                raise _invalid("pass either an options dict or arguments, not both")
            options = CreateSessionOptions.parse(avatar_id)
        else:
            options = CreateSessionOptions.parse(
                {"avatar_id": avatar_id, "voice_id": voice_id, "video_container_id": video_container_id}
            )
        if not self._api_key:
            raise _invalid("create_session needs api_key (a KS); use init_session for backend-created sessions")
        await self._start(options.video_container_id, self._create_and_connect(options))

    @_emits_errors
    async def init_session(
        self,
        session_id: str | dict | InitSessionParams | None = None,
        token: str | dict | InitSessionOptions | None = None,
        video_container_id: str | None = None,
    ) -> None:
        """Connect to a session your backend created. Also accepts the seed's shape:
        ``init_session({"sessionId": ..., "token": ...}, {"videoContainerId": ...})``."""
        self._require(S.IDLE)
        if isinstance(session_id, (dict, InitSessionParams)):
            params = InitSessionParams.parse(session_id)
            options = InitSessionOptions.parse({} if token is None else token)
            if video_container_id is not None:
                if options.video_container_id is not None:
                    raise _invalid("video_container_id given twice")
                options = InitSessionOptions(video_container_id=video_container_id)
        else:
            params = InitSessionParams.parse({"session_id": session_id, "token": token})
            options = InitSessionOptions.parse({"video_container_id": video_container_id})
        await self._start(options.video_container_id, self._init_and_connect(params))

    async def _start(self, container_id: str | None, startup: Awaitable[None]) -> None:
        try:
            if container_id is not None:
                self._attach(container_id)  # a missing container fails before anything starts
        except AvatarError:
            startup.close()
            raise
        self._set_state(S.CREATING)
        self._unsubscribe_pagehide = self._platform.on_pagehide(self._on_pagehide)
        task = self._spawn("startup", startup)
        try:
            await task
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():  # our caller gave up: end what was begun
                await self._release(end_remote=True)
                self._finish(S.ENDED)
                raise
            if self._end_task is not None:  # ended by end_session: return once it is over
                await asyncio.gather(asyncio.shield(self._end_task), return_exceptions=True)
            raise AvatarError(E.INVALID_STATE, "The session was ended while it was being created") from None
        except AvatarError as err:
            await self._startup_failed(err)
            raise
        except Exception as exc:  # a bug or a browser surprise: still a typed error, nothing left behind
            err = AvatarError(
                E.API_REQUEST_FAILED, f"Starting the session failed: {type(exc).__name__}: {exc}",
                {"exception": type(exc).__name__},
            )
            await self._startup_failed(err)
            raise err from exc

    async def _create_and_connect(self, options: CreateSessionOptions) -> None:
        # The create call is shielded: if the session is ended meanwhile, teardown waits for
        # its answer so the server session it made gets ended too.
        self._create_call = asyncio.ensure_future(
            self._control.create(self._api_key, options.avatar_id, options.voice_id)
        )
        session_id, token = await asyncio.shield(self._create_call)
        self._create_call = None
        self._adopt(session_id, token)
        logger.info("Session %s created", session_id)
        await self._connect_first()

    async def _init_and_connect(self, params: InitSessionParams) -> None:
        self._adopt(params.session_id, params.token)
        await self._connect_first()

    def _adopt(self, session_id: str, token: str) -> None:
        add_secret(token)
        self._control.session_id, self._control.token = session_id, token

    async def _connect_first(self) -> None:
        self._info = await self._control.init_client()
        self._set_connection(C.CONNECTING)
        await self._connect()
        self._set_connection(C.CONNECTED)
        self._set_state(S.READY)
        self._spawn("keep-alive", self._keep_alive())
        self._spawn("monitor", self._monitor())

    async def _startup_failed(self, err: AvatarError) -> None:
        pointless = err.code in (E.UNAUTHORIZED, E.SESSION_NOT_FOUND)
        await self._release(end_remote=not pointless)
        if err.code is E.SESSION_NOT_FOUND:
            self._finish(S.ENDED)
            return
        if err.code is E.RTC_CONNECTION_FAILED:
            self._set_connection(C.FAILED)
        self._set_state(S.ERROR)

    @_emits_errors
    async def end_session(self) -> None:
        """Stop keep-alive, close the peer connection, DELETE the WHEP resource, end the session
        on the server (404/410 count as already ended), remove the ``<video>``.

        Leaves state ``ENDED`` and connection ``CLOSED`` even if the server call fails (that
        error is then raised)."""
        if self._end_task is None or self._end_task.done():
            self._require(S.CREATING, S.READY, S.ERROR)
            self._end_task = asyncio.ensure_future(self._end())
        await asyncio.shield(self._end_task)

    async def _end(self) -> None:
        error = await self._release(end_remote=True)
        self._finish(S.ENDED)
        await self._events.drain(HANDLER_DRAIN_S)
        if error is not None:
            raise error

    # --- media --------------------------------------------------------------------------
    @_emits_errors
    def attach_avatar(self, container_id: str) -> None:
        """Show the avatar in the div ``container_id`` (one ``<video>``; called again, it moves)."""
        if self._state in (S.ENDED, S.ERROR):
            raise AvatarError(E.INVALID_STATE, f"Cannot attach in state {self._state}")
        self._attach(container_id)

    def _attach(self, container_id: str) -> None:
        _check_id(container_id, "container_id")
        if self._view is None:
            self._view = self._platform.create_view()
        self._view.attach(container_id)
        if self._media is not None and self._media.stream is not None:
            self._show(self._media.stream)

    def _show(self, stream: Any) -> None:
        if self._view is not None:
            self._view.show(stream)
            self._spawn("play", self._view.play())

    async def _connect(self, whep_retry: RetryConfig | None = None) -> None:
        media = MediaConnection(
            self._platform, self._info, self._config,
            on_state=self._media_state, on_stream=self._media_stream, whep_retry=whep_retry,
        )
        self._media = media
        try:
            self.connect_time_s = await media.open()
        except BaseException:
            self._media = None
            await media.close()
            raise
        logger.info("Media connected: first frame %.0f ms after the offer", self.connect_time_s * 1000)

    def _media_stream(self, media: MediaConnection, stream: Any) -> None:
        if media is self._media:
            self._show(stream)

    def _media_state(self, media: MediaConnection, state: str) -> None:
        if media is self._media and self._connection is C.CONNECTED and state in ("disconnected", "failed"):
            self._start_recovery(f"ICE {state}")

    def _start_recovery(self, reason: str) -> None:
        if self._state is S.READY and "recovery" not in self._tasks:
            self._spawn("recovery", self._recover(reason))

    async def _recover(self, reason: str) -> None:
        """Fresh WHEP negotiations with backoff; WHEP 404 stops at once."""
        logger.warning("Media lost (%s); reconnecting", reason)
        self._speech(self._detector.stop())
        self._set_connection(C.DISCONNECTED)
        attempts = self._config.reconnect_attempts
        retry = self._config.retry_config
        delays = [0.0] + backoff_delays(RetryConfig(**{**retry.model_dump(), "max_attempts": max(attempts, 1)}))
        once = RetryConfig(**{**retry.model_dump(), "max_attempts": 1})  # the backoff is this loop's
        last: AvatarError | None = None
        for n in range(1, attempts + 1):
            await self._platform.sleep(delays[n - 1])
            self._set_connection(C.CONNECTING)
            old, self._media = self._media, None
            if old is not None:
                await old.close()
            try:
                await self._connect(whep_retry=once)
            except AvatarError as err:
                last = err
                logger.warning("Reconnect attempt %d failed: %s", n, err.message)
                if isinstance(err.details, dict) and err.details.get("status") == 404:
                    break
                if n < attempts:
                    self._set_connection(C.DISCONNECTED)
                continue
            self._set_connection(C.CONNECTED)
            return
        old, self._media = self._media, None
        if old is not None:
            await old.close()
        self._set_connection(C.FAILED)
        details = {"reason": reason, "attempts": attempts}
        if last is not None:
            details["last_error"] = last.to_dict()
        self._events.emit(
            "error", AvatarError(E.RTC_CONNECTION_FAILED, f"Media connection lost ({reason})", details)
        )

    # --- speech -------------------------------------------------------------------------
    @_emits_errors
    async def say_text(self, text: str, turn_id: str | None = None, is_final: bool = True) -> str:
        """Speak ``text``; returns the turn id (auto-generated when not given). Chunks sharing a
        ``turn_id`` with ``is_final=False`` stream an answer; text over 1,000 characters is sent
        as several pieces of one turn."""
        self._require(S.READY)
        if not isinstance(text, str) or not text.strip():
            raise _invalid("text must be a non-empty string")
        turn_id = new_turn_id() if turn_id is None else _check_id(turn_id, "turn_id")
        if not isinstance(is_final, bool):
            raise _invalid("is_final must be a bool")
        pieces = split_text(text)
        async with self._say_lock:
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                await self._session_call(self._control.say_text(piece, turn_id, is_final and last))
        return turn_id

    @_emits_errors
    async def say_audio(self, audio: Any, turn_id: str, duration: float) -> None:
        """Speak an MP3 (44.1 kHz): ``bytes``, or a JS ``File``/``Blob``; ``duration`` in seconds."""
        self._require(S.READY)
        _check_id(turn_id, "turn_id")
        if not is_finite_positive(duration):
            raise _invalid("duration must be a finite number of seconds > 0")
        if isinstance(audio, (bytes, bytearray, memoryview)):
            data = bytes(audio)
        else:
            data = await self._platform.read_blob(audio)
        if not data:
            raise _invalid("audio is empty")
        rate = mp3_sample_rate(data)
        if rate != 44100:
            what = "not MP3" if rate is None else f"MP3 at {rate} Hz"
            raise _invalid(f"audio must be MP3 at 44.1 kHz ({what})", sample_rate=rate)
        self._require(S.READY)
        async with self._say_lock:
            await self._session_call(self._control.say_audio(data, turn_id, float(duration)))

    @_emits_errors
    async def interrupt(self) -> None:
        """Stop the current speech (and drop queued turns); ends speaking at once."""
        self._require(S.READY)
        await self._session_call(self._control.interrupt())
        self._speech(self._detector.interrupt())

    def _speech(self, change: str | None) -> None:
        if change == "start":
            logger.debug("speaking started")
            self._events.emit("speakingStart")
        elif change == "end":
            logger.debug("speaking ended")
            self._events.emit("speakingEnd")

    async def _session_call(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except AvatarError as err:
            if err.code is E.SESSION_NOT_FOUND:
                await self._session_gone()
            raise

    async def _session_gone(self) -> None:
        if self._state is S.READY:
            await self._release(end_remote=False)
            self._finish(S.ENDED)

    # --- background loops ---------------------------------------------------------------
    async def _keep_alive(self) -> None:
        """Keep-alive every ``keep_alive_interval_s``; transient failures are retried quietly and
        reported once the retries run out; 404/410 ends the session."""
        while True:
            await self._platform.sleep(self._config.keep_alive_interval_s)
            try:
                await self._control.keep_alive()
            except AvatarError as err:
                if err.code is E.SESSION_NOT_FOUND:
                    await self._session_gone()
                    self._events.emit("error", err)
                    return
                logger.warning("keep-alive failed: %s", err.message)
                self._events.emit("error", err)

    async def _monitor(self) -> None:
        """Poll stats: frames decoded (lost media -> recovery) and audio level (speaking)."""
        clock = self._platform.clock
        last_frames: int | None = None
        progress_at = clock()
        while True:
            await self._platform.sleep(self._config.stats_interval_s)
            media = self._media
            if media is None or self._connection is not C.CONNECTED:
                last_frames, progress_at = None, clock()
                continue
            try:
                stats = await media.stats()
            except Exception as exc:  # a closing peer connection; the next poll sees the new one
                logger.debug("stats failed: %s", exc)
                continue
            now = clock()
            if not self._platform.page_visible() or (
                stats.frames_decoded is not None and stats.frames_decoded != last_frames
            ):
                last_frames, progress_at = stats.frames_decoded, now
            elif now - progress_at > self._config.media_timeout_s:
                self._start_recovery("no video frames")
                continue
            self._speech(self._detector.update(now, self._audio_level(media, stats)))

    def _audio_level(self, media: MediaConnection, stats: MediaStats) -> float:
        if self._view is not None and self._view.audible:
            return stats.audio_level or 0.0
        if media.stream is None:
            return 0.0
        if self._meter_stream is not media.stream:
            self._close_meter()
            self._meter_stream = media.stream  # one try per stream: a failed meter is not retried
            self._meter = self._meter_or_none(lambda: self._platform.create_meter(media.stream))
        if self._meter is None:
            return 0.0
        level = self._meter_or_none(self._meter.level)
        if level is None:
            self._meter.close()
            self._meter = None
        return level or 0.0

    @staticmethod
    def _meter_or_none(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # e.g. a stream with no audio track, or no AudioContext
            logger.warning("Cannot measure the muted audio (%s): speaking events need the video audible", exc)
            return None

    def _close_meter(self) -> None:
        if self._meter is not None:
            self._meter.close()
        self._meter = self._meter_stream = None

    # --- teardown -----------------------------------------------------------------------
    async def _release(self, *, end_remote: bool) -> AvatarError | None:
        """Free everything: tasks, media, view, meter, pagehide hook; end the server session
        when ``end_remote``. Returns the end call's error, if any."""
        self._unhook_pagehide()  # first: a tab closing meanwhile must not start a second teardown
        current = asyncio.current_task()
        tasks = [t for t in self._tasks.values() if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._tasks = {k: t for k, t in self._tasks.items() if t is current}
        if self._create_call is not None:  # ended while creating: learn the session to end it
            call, self._create_call = self._create_call, None
            try:
                self._adopt(*await asyncio.wait_for(asyncio.shield(call), self._config.request_timeout_s))
            except TimeoutError:  # still retrying: if it makes a session after all, end that one
                call.add_done_callback(self._end_late_session)
            except (AvatarError, asyncio.CancelledError):
                pass
        self._drop_local()
        media, self._media = self._media, None
        if media is not None:
            await media.close()  # DELETE before end: after end the resource is gone (a 404)
        error = None
        if end_remote and self._control.session_id and not self._released:
            try:
                await self._control.end()
            except AvatarError as err:
                error = err
        if not self._released:
            remove_secret(self._control.token)
        self._released = True
        return error

    def _end_late_session(self, call: asyncio.Future) -> None:
        if call.cancelled() or call.exception() is not None:
            return
        self._adopt(*call.result())
        logger.info("Ending session %s, created after the end was asked for", self._control.session_id)
        self._control.end_now()

    def _finish(self, state: SessionState) -> None:
        if state is S.ENDED:
            self._set_connection(C.CLOSED)
            remove_secret(self._api_key)
        self._set_state(state)

    def _on_pagehide(self) -> None:
        """The tab is going away: end the session best effort with requests that outlive it."""
        if self._state not in (S.CREATING, S.READY):
            return
        logger.info("Page hidden: ending the session")
        for task in self._tasks.values():
            task.cancel()
        self._tasks = {}
        if self._create_call is not None:
            self._create_call.cancel()
        if self._media is not None:
            self._media.close_now()
            self._media = None
        self._control.end_now()
        self._drop_local()
        self._finish(S.ENDED)

    def _drop_local(self) -> None:
        """The page-side teardown both ends share: speech, meter, ``<video>``, pagehide hook."""
        self._speech(self._detector.stop())
        self._close_meter()
        if self._view is not None:
            self._view.detach()
            self._view = None
        self._unhook_pagehide()

    def _unhook_pagehide(self) -> None:
        if self._unsubscribe_pagehide is not None:
            self._unsubscribe_pagehide()
            self._unsubscribe_pagehide = None

    # --- helpers ------------------------------------------------------------------------
    def _spawn(self, name: str, coro: Awaitable[Any]) -> asyncio.Task:
        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = asyncio.ensure_future(coro)
        self._tasks[name] = task

        def forget(done: asyncio.Task) -> None:
            if self._tasks.get(name) is done:
                del self._tasks[name]
            if not done.cancelled() and done.exception() is not None and name != "startup":
                logger.error("%s task failed: %r", name, done.exception())

        task.add_done_callback(forget)
        return task

    def _require(self, *states: SessionState) -> None:
        if self._state not in states:
            allowed = " or ".join(s.value for s in states)
            raise AvatarError(
                E.INVALID_STATE, f"Not allowed in state {self._state.value} (needs {allowed})",
                {"state": self._state.value},
            )

    def _set_state(self, state: SessionState) -> None:
        if self._allowed(SESSION_TRANSITIONS, self._state, state, "stateChange"):
            self._state = state
            self._events.emit("stateChange", state)

    def _set_connection(self, state: ConnectionState) -> None:
        if self._allowed(CONNECTION_TRANSITIONS, self._connection, state, "connectionChange"):
            self._connection = state
            self._events.emit("connectionChange", state)

    @staticmethod
    def _allowed(table: dict, current: Any, new: Any, event: str) -> bool:
        if new is current:
            return False
        if new not in table[current]:
            logger.error("Ignored %s %s -> %s (not allowed)", event, current.value, new.value)
            return False
        logger.info("%s: %s -> %s", event, current.value, new.value)
        return True
