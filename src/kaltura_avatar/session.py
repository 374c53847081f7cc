"""``KalturaAvatarSession``, the SDK's public API: the seed's methods with Pythonic names, the
session state machine, startup (create or init, then the media, then keep-alive) and teardown
(``end_session``, a failed start, the tab closing). The backend calls are ``control``'s, the
media, speaking detection and stats ``connection.MediaSupervisor``'s, the captions
``captions.Captions``', the ``<video>`` the platform's.

>>> session = KalturaAvatarSession("my-ks", {"baseUrl": "https://api.example/v1/avatar-session"})
... # doctest: +SKIP
>>> await session.create_session("avatar-123", "voice-456", "avatar-container")  # doctest: +SKIP
>>> await session.say_text("Hello!")  # doctest: +SKIP
>>> await session.end_session()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .captions import Captions
from .checks import audio_arguments, check_api_key, invalid, non_empty
from .connection import MediaSupervisor
from .control import ControlClient
from .errors import AvatarError, AvatarErrorCode
from .events import EventEmitter, emits_errors
from .log import SessionLog, add_secret, remove_secret
from .mp3 import check_mp3
from .ports import choose_platform
from .speech import new_turn_id, split_text
from .stats import ConnectionStats
from .states import ENDING, NOT_NOW, SESSION_TRANSITIONS, ConnectionState, SessionState, transition
from .tasks import Tasks, start_now
from .view import AvatarView

if TYPE_CHECKING:  # the pydantic models load with the first session (config), not at import
    from .config import AvatarConfig, CreateSessionOptions, InitSessionOptions, InitSessionParams

E = AvatarErrorCode
S = SessionState
C = ConnectionState
HANDLER_DRAIN_S = 1.0  # how long end_session lets async event handlers finish
PLAY_WAIT_S = 1.0  # how long startup waits for playback to begin (to know whether it is muted)


class KalturaAvatarSession:
    """One avatar session, the seed's ``KalturaAvatarSession`` with Pythonic names.

    ``api_key`` (a KS) is needed only for ``create_session``; ``config`` is an ``AvatarConfig``
    or a dict (camelCase or snake_case keys) with at least ``base_url``.
    """

    def __init__(
        self, api_key: str | None = None, config: AvatarConfig | dict | None = None, *, platform: Any = None
    ) -> None:
        if config is None:
            raise invalid("A config with baseUrl (the avatar Control API's URL) is required")
        from .config import AvatarConfig

        self._config: AvatarConfig = AvatarConfig.parse(config)
        self._api_key = check_api_key(api_key)
        self._platform = choose_platform(platform)
        self._log = SessionLog(self._config.log_level)
        add_secret(api_key)
        self._events = EventEmitter(self._log)
        self._state = S.IDLE
        self._control = ControlClient(
            self._config.base_url, self._platform.http, self._config.retry_config,
            timeout=self._config.request_timeout_s, sleep=self._platform.sleep, log=self._log,
        )
        self._view = AvatarView(self._platform.create_view, self._log)
        self._captions = Captions(self._events.emit, self._view, enabled=self._config.captions, log=self._log)
        self._media = MediaSupervisor(
            self._platform, self._config, self._log,
            emit=self._captions.relay, show=self._view.show, audible=lambda: self._view.audible,
        )
        self._tasks = Tasks(self._log)
        self._create_call: asyncio.Future | None = None
        self._end_task: asyncio.Future | None = None
        self._say_lock = asyncio.Lock()
        self._interrupts = 0  # interrupt() calls so far: speech asked for before one is not sent after it
        self._unsubscribe_pagehide: Callable[[], None] | None = None
        self._released = False  # the server session was ended (or given up on) once already
        self._created_here = False  # create_session made the server session: it is ours to end

    # --- state --------------------------------------------------------------------------
    def get_session_id(self) -> str | None:
        return self._control.session_id

    def get_session_state(self) -> SessionState:
        return self._state

    def get_connection_state(self) -> ConnectionState:
        return self._media.state

    def is_muted(self) -> bool:
        """True while the avatar plays muted because the browser refused autoplay with sound
        (it unmutes at the next click or key press in the page)."""
        return self._view.muted

    @property
    def connect_time_s(self) -> float | None:
        """Seconds from the WHEP offer to the first decoded frame, for the last connection."""
        return self._media.connect_time_s

    async def get_stats(self) -> ConnectionStats:
        """The media connection's stats now (``getStats()``); None where not known (yet)."""
        return await self._media.get_stats()

    # --- events -------------------------------------------------------------------------
    @emits_errors
    def on(self, event: str, callback: Callable[..., Any]) -> None:
        self._events.on(event, callback)

    @emits_errors
    def once(self, event: str, callback: Callable[..., Any]) -> None:
        self._events.on(event, callback, once=True)

    @emits_errors
    def off(self, event: str, callback: Callable[..., Any] | None = None) -> None:
        self._events.off(event, callback)

    # --- startup ------------------------------------------------------------------------
    @emits_errors
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
        self._require(S.IDLE, "create a session")
        from .config import CreateSessionOptions

        options = CreateSessionOptions.from_call(avatar_id, voice_id, video_container_id)
        if not self._api_key:
            raise invalid("create_session() needs a Kaltura Session (KS): pass it as api_key, or have "
                          "your backend create the session and call init_session()")
        await self._start(options.video_container_id, self._create_and_connect(options))

    @emits_errors
    async def init_session(
        self,
        session_id: str | dict | InitSessionParams | None = None,
        token: str | dict | InitSessionOptions | None = None,
        video_container_id: str | None = None,
    ) -> None:
        """Connect to a session your backend created. Also accepts the seed's shape:
        ``init_session({"sessionId": ..., "token": ...}, {"videoContainerId": ...})``."""
        self._require(S.IDLE, "init a session")
        from .config import init_arguments

        params, options = init_arguments(session_id, token, video_container_id)
        await self._start(options.video_container_id, self._init_and_connect(params))

    async def _start(self, container_id: str | None, startup: Awaitable[None]) -> None:
        try:
            if container_id is not None:
                self._view.attach(container_id)  # a missing container fails before anything starts
        except AvatarError:
            startup.close()
            raise
        self._set_state(S.CREATING)
        self._media.starting()
        self._unsubscribe_pagehide = self._platform.on_pagehide(self._on_pagehide)
        task = self._tasks.spawn("startup", startup, log_failure=False, now=True)
        try:
            await task
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():  # our caller gave up: end what was begun
                await self._release(end_remote=True)
                self._finish(S.ENDED)
                raise
            if self._end_task is not None:  # ended by end_session: return once it is over
                await asyncio.gather(asyncio.shield(self._end_task), return_exceptions=True)
            raise AvatarError(E.INVALID_STATE, "Cancelled: the session was ended before it was ready",
                              {"cancelled": True}) from None
        except AvatarError as err:
            await self._startup_failed(err)
            raise
        except Exception as exc:  # a bug or a browser surprise: still a typed error, nothing left behind
            err = AvatarError.unexpected("Starting the session", exc)
            await self._startup_failed(err)
            raise err from exc

    async def _create_and_connect(self, options: CreateSessionOptions) -> None:
        # The create call is shielded: if the session is ended meanwhile, teardown waits for
        # its answer so the server session it made gets ended too.
        self._create_call = start_now(self._control.create(self._api_key, options.avatar_id, options.voice_id))
        self._media.prepare()  # after the create request is on its way: the offer is made meanwhile
        session_id, token = await asyncio.shield(self._create_call)
        self._create_call = None
        self._control.adopt(session_id, token)
        self._created_here = True
        self._log.info("Session %s created", session_id)
        await self._connect_first()

    async def _init_and_connect(self, params: InitSessionParams) -> None:
        self._control.adopt(params.session_id, params.token)
        await self._connect_first()

    async def _connect_first(self) -> None:
        self._media.prepare()  # runs once init-client's request is sent (if not made already)
        endpoint = await self._control.init_client()
        await self._media.connect(endpoint)
        await self._view.started(PLAY_WAIT_S)  # so is_muted() is known at READY
        self._set_state(S.READY)
        self._tasks.spawn("keep-alive", self._keep_alive())
        self._media.supervise()

    async def _startup_failed(self, err: AvatarError) -> None:
        # A session this SDK created is ended even when its token was refused (it may be the
        # route, not the session); one a backend handed over with a refused token is not ours.
        pointless = err.code is E.SESSION_NOT_FOUND or (err.code is E.UNAUTHORIZED and not self._created_here)
        await self._release(end_remote=not pointless)
        if err.code is E.SESSION_NOT_FOUND:
            self._finish(S.ENDED)
            return
        if err.code is E.RTC_CONNECTION_FAILED:
            self._media.set_state(C.FAILED)
        self._set_state(S.ERROR)

    # --- the <video> ----------------------------------------------------------------------
    @emits_errors
    def attach_avatar(self, container_id: str) -> None:
        """Show the avatar in the div ``container_id`` (one ``<video>``; called again, it moves)."""
        if self._state in (S.ENDED, S.ERROR) or self._end_task is not None:
            self._require(S.READY, "attach the avatar")
        self._view.attach(container_id)

    # --- speech -------------------------------------------------------------------------
    @emits_errors
    async def say_text(self, text: str, turn_id: str | None = None, is_final: bool = True) -> str:
        """Speak ``text``; returns the turn id (auto-generated when not given). Chunks sharing a
        ``turn_id`` with ``is_final=False`` stream an answer; text over 1,000 characters is sent
        as several pieces of one turn."""
        self._require(S.READY, "say text")
        if not isinstance(text, str) or not text.strip():
            raise invalid("There is no text to say: text must be a non-empty string")
        turn_id = new_turn_id() if turn_id is None else non_empty(turn_id, "turn_id")
        if not isinstance(is_final, bool):
            raise invalid("is_final must be a bool")
        pieces, asked = split_text(text), self._interrupts
        async with self._say_lock:
            for i, piece in enumerate(pieces):
                self._require(S.READY, "say text")  # end_session may have begun while this waited
                if self._interrupts != asked:  # interrupted: the rest is dropped, as the server drops its queue
                    break
                last = i == len(pieces) - 1
                await self._call_session(self._control.say_text(piece, turn_id, is_final and last))
                if i == 0:  # the server has the turn: its caption waits for the avatar's voice
                    self._captions.sent(turn_id, text, is_final)
        return turn_id

    @emits_errors
    async def say_audio(self, audio: Any, turn_id: str, duration: float, text: str | None = None) -> None:
        """Speak an MP3 (44.1 kHz): ``bytes``, or a JS ``File``/``Blob``; ``duration`` in seconds;
        ``text``, what the audio says, for its caption (no caption without it)."""
        self._require(S.READY, "say audio")
        turn_id, duration, text = audio_arguments(turn_id, duration, text)
        asked = self._interrupts
        if isinstance(audio, (bytes, bytearray, memoryview)):
            data = bytes(audio)
        else:
            data = await self._platform.read_blob(audio)
        check_mp3(data)
        async with self._say_lock:
            self._require(S.READY, "say audio")
            if self._interrupts == asked:
                await self._call_session(self._control.say_audio(data, turn_id, duration))
                self._captions.sent(turn_id, text, True)

    @emits_errors
    async def interrupt(self) -> None:
        """Stop the current speech (and drop queued turns, the SDK's own too); ends speaking at once."""
        self._require(S.READY, "interrupt")
        self._interrupts += 1
        async with self._say_lock:  # a piece on its way reaches the server first, and is dropped too
            await self._call_session(self._control.interrupt())
        self._media.speech_interrupted()
        self._captions.interrupted()

    async def _call_session(self, call: Awaitable[Any]) -> Any:
        """A call on the live session; a 404/410 answer means the server ended it: end here too."""
        try:
            return await call
        except AvatarError as err:
            if err.code is E.SESSION_NOT_FOUND:
                await self._session_gone()
            raise

    async def _session_gone(self) -> None:  # the server ended it (404/410): end here too
        if self._state is S.READY:
            await self._release(end_remote=False)
            self._finish(S.ENDED)

    async def _keep_alive(self) -> None:
        """Keep-alive on schedule; failures are reported as ``error`` events; 404/410 ends the session."""
        emit_error = functools.partial(self._events.emit, "error")
        gone = await self._control.keep_alive_forever(self._config.keep_alive_interval_s, emit_error)
        await self._session_gone()
        emit_error(gone)

    # --- teardown -----------------------------------------------------------------------
    @emits_errors
    async def end_session(self) -> None:
        """Stop keep-alive, close the media (WHEP DELETE), end the server session (404/410: already
        ended), remove the ``<video>``; ``ENDED``/``CLOSED`` even if the server call fails (then
        raised). Again or concurrently it resolves once the one teardown is over; on a session
        never started it only removes the ``<video>`` of ``attach_avatar`` (the state stays IDLE)."""
        if self._end_task is None:
            if self._state is S.IDLE:
                self._view.detach()
            if self._state in (S.IDLE, S.ENDED):
                return
            self._end_task = asyncio.ensure_future(self._end())
        await asyncio.shield(self._end_task)

    async def _end(self) -> None:
        error = await self._release(end_remote=True)
        self._finish(S.ENDED)
        await self._events.drain(HANDLER_DRAIN_S)
        if error is not None:
            raise error

    async def _release(self, *, end_remote: bool) -> AvatarError | None:
        """Free everything: tasks, media, view, pagehide hook; end the server session when
        ``end_remote``. Returns the end call's error, if any."""
        self._unhook_pagehide()  # first: a tab closing meanwhile must not start a second teardown
        await self._tasks.cancel_all()
        if self._create_call is not None:  # ended while creating: learn the session to end it
            call, self._create_call = self._create_call, None
            await self._control.settle_create(call, self._config.request_timeout_s)
        await self._media.close()  # DELETE before end: after end the resource is gone (a 404)
        self._view.detach()
        error = None
        if end_remote and self._control.session_id and not self._released:
            try:
                await self._control.end()
            except AvatarError as err:
                error = err
        if not self._released:
            self._control.forget_token()
        self._released = True
        return error

    def _finish(self, state: SessionState) -> None:
        if state is S.ENDED:
            self._media.set_state(C.CLOSED)
            remove_secret(self._api_key)
        self._set_state(state)

    def _on_pagehide(self) -> None:
        """The tab is going away: end the session best effort with requests that outlive it."""
        if self._state not in (S.CREATING, S.READY):
            return
        self._log.info("Page hidden: ending the session")
        self._unhook_pagehide()
        self._tasks.cancel_now()
        if self._create_call is not None:
            self._create_call.cancel()
        self._media.close_now()
        self._control.end_now()
        self._view.detach()
        self._finish(S.ENDED)

    def _unhook_pagehide(self) -> None:
        if self._unsubscribe_pagehide is not None:
            self._unsubscribe_pagehide()
            self._unsubscribe_pagehide = None

    # --- helpers ------------------------------------------------------------------------
    def _require(self, state: SessionState, what: str) -> None:
        ending = self._end_task is not None and self._state is not S.ENDED
        if ending or self._state is not state:
            why = ENDING if ending else NOT_NOW[self._state]
            raise AvatarError(E.INVALID_STATE, f"Cannot {what}: {why}.", {"state": self._state.value})

    def _set_state(self, state: SessionState) -> None:
        if transition(SESSION_TRANSITIONS, self._state, state, "stateChange", self._log):
            self._state = state
            self._events.emit("stateChange", state)
