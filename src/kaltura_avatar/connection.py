"""The session's media: one WebRTC negotiation over WHEP (``MediaConnection``) and its supervision
(``MediaSupervisor``): the connection state, the first connection, the stats monitor that notices
lost media (no new frames, ICE disconnected or failed) and feeds the speaking detector, and the
recovery that replaces a lost connection with fresh WHEP negotiations and backoff. The supervisor
is the one owner of replacing a connection. ``get_stats()`` reads the current connection's stats
(``stats.ConnectionStats``), bitrates over the readings the monitor takes.

A ``MediaConnection`` creates the peer connection and its offer (for the first connection while
the session is created and its media located: that needs no endpoint), then with the endpoint
sets the ICE servers, posts the offer at once, applies the answer, trickles candidates, waits for
the first decoded frame, and tears down (close, WHEP DELETE).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import whep
from .errors import AvatarError, AvatarErrorCode
from .log import SessionLog
from .ports import MediaStats, PeerCallbacks, PeerConnection, Platform
from .retry import backoff_delays
from .speech import LevelSource, SpeakingDetector
from .stats import Bitrates, ConnectionStats, connection_stats
from .states import CONNECTION_TRANSITIONS, ConnectionState, transition
from .tasks import Tasks, start_now

if TYPE_CHECKING:  # annotations only: the pydantic models load on first use
    from .config import AvatarConfig

C = ConnectionState
FIRST_FRAME_POLL_S = 0.01  # between getStats polls, unless the peer says a frame was shown
ENDING_POLL_S = 0.05  # between getStats polls while a pause is timed (stats_interval_s otherwise)


class MediaConnection:
    """One negotiation: peer connection, offer, answer, trickle, first frame, teardown."""

    def __init__(
        self,
        platform: Platform,
        config: AvatarConfig,
        log: SessionLog,
        *,
        on_state: Callable[[MediaConnection, str], None],
        on_stream: Callable[[MediaConnection, Any], None],
        whep_attempts: int | None = None,
    ) -> None:
        self._platform = platform
        self._config = config
        self._log = log
        self._on_state = on_state
        self._on_stream = on_stream
        self._whep_attempts = whep_attempts
        self.pc: PeerConnection | None = None
        self.resource: whep.WhepResource | None = None
        self.stream: Any = None
        self.state = "new"
        self._trickler = whep.Trickler()
        self._frame_shown = asyncio.Event()
        self._trickle_task: asyncio.Task | None = None
        self._offer: asyncio.Task | None = None  # the peer connection and its offer, once prepared
        self._closed = False

    def prepare(self) -> None:
        """Start making the peer connection and its offer, which need no endpoint: a session
        does it while its media is being located. Idempotent; ``open`` does it if nobody did."""
        if self._offer is None and not self._closed:
            self._offer = start_now(self._make_offer())

    async def _make_offer(self) -> None:
        self.pc = self._platform.create_peer(
            callbacks=PeerCallbacks(self._trickler.add, self._state_changed, self._stream_arrived, self._frame_shown.set),
        )
        await self.pc.create_offer()

    async def open(self, endpoint: whep.WhepEndpoint) -> float:
        """Negotiate with ``endpoint`` and wait for the first decoded frame; return the seconds it
        took. Raises ``MediaError``; the caller closes on failure."""
        started = self._platform.clock()
        timeout = self._config.connect_timeout_s
        self.prepare()
        try:
            async with asyncio.timeout(timeout):
                await self._offer
                await self._negotiate(endpoint)
                await self._first_frame()
        except TimeoutError:
            raise whep.MediaError(
                f"The avatar's video did not start within {timeout:g} s. Check that UDP (or TURN) "
                "traffic to the media server is allowed, then try again.",
                timeout=timeout,
            ) from None
        except AvatarError:
            raise
        except Exception as exc:  # the browser refused something (a bad ICE server URL, an SDP...)
            raise whep.MediaError(
                f"The browser refused the avatar's video connection ({exc}). Reload the page and try "
                "again; if it keeps failing, check the TURN server settings.",
                exception=type(exc).__name__,
            ) from None
        return self._platform.clock() - started

    async def _negotiate(self, endpoint: whep.WhepEndpoint) -> None:
        config = self._config
        offer = await self.pc.start(
            ice_servers=whep.ice_servers(endpoint.turn), ice_transport_policy=config.ice_transport_policy
        )
        answer, self.resource = await whep.negotiate(
            self._platform.http,
            endpoint.whep_url,
            offer,
            config.retry_config,
            timeout=config.request_timeout_s,
            sleep=self._platform.sleep,
            attempts=self._whep_attempts,
            log=self._log,
        )
        await self.pc.set_answer(answer)
        self._trickle_task = asyncio.ensure_future(self._trickler.run(self.resource, offer))

    async def _first_frame(self) -> None:
        while not self._frame_shown.is_set():
            if self.state == "failed":
                raise whep.MediaError(
                    "The avatar's video could not connect (ICE failed). Check that UDP (or TURN) "
                    "traffic to the media server is allowed, then try again.",
                    ice_state="failed",
                )
            stats = await self.pc.stats()
            if (stats.frames_decoded or 0) > 0:
                return
            with contextlib.suppress(TimeoutError):  # a frame shown ends the wait at once
                async with asyncio.timeout(FIRST_FRAME_POLL_S):
                    await self._frame_shown.wait()

    async def stats(self) -> MediaStats:
        """The peer connection's stats once negotiated (before: nothing is known)."""
        return await self.pc.stats() if self.resource is not None and not self._closed else MediaStats()

    def _state_changed(self, state: str) -> None:
        if self._closed:
            return
        self._log.debug("peer connection: %s", state)
        self.state = state
        self._on_state(self, state)

    def _stream_arrived(self, stream: Any) -> None:
        if self._closed or (self.stream is not None and self.stream == stream):
            return  # the audio and the video track arrive in the same stream
        self.stream = stream
        self._on_stream(self, stream)

    async def close(self) -> None:
        """Close the peer connection and DELETE the WHEP resource (best effort)."""
        if self._close_locally():
            return
        if self._trickle_task is not None:
            await asyncio.gather(self._trickle_task, return_exceptions=True)
        if self.resource is not None:
            await self.resource.delete()

    def close_now(self) -> None:
        """Synchronous close for pagehide: the DELETE is sent with ``keepalive``."""
        if not self._close_locally() and self.resource is not None:
            self.resource.delete_now()

    def _close_locally(self) -> bool:
        """Close the peer connection; True if it was already closed."""
        if self._closed:
            return True
        self._closed = True
        if self._offer is not None and not self._offer.done():
            self._offer.cancel()
        elif self._offer is not None and not self._offer.cancelled():
            self._offer.exception()  # retrieved: open() reported it, or nobody needs it now
        if self._trickle_task is not None:
            self._trickle_task.cancel()
        if self.pc is not None:
            self.pc.close()
        self.stream = None
        return False


class MediaSupervisor:
    """The session's media connection over its life: connection state and events, the current
    ``MediaConnection``, the monitor, speaking detection, and recovery."""

    def __init__(
        self,
        platform: Platform,
        config: AvatarConfig,
        log: SessionLog,
        *,
        emit: Callable[..., None],
        show: Callable[[Any], None],
        audible: Callable[[], bool],
    ) -> None:
        self._platform = platform
        self._config = config
        self._log = log
        self._emit = emit  # the session's event emitter
        self._show = show  # hand a new stream to the <video>
        self._audible = audible  # is the <video> playing the audio unmuted?
        self.state = C.DISCONNECTED
        self.current: MediaConnection | None = None
        self.connect_time_s: float | None = None  # offer to first decoded frame, last connection
        self._started_at: float | None = None  # when create_session/init_session began
        self._first_frame_s: float | None = None  # from then to the first decoded frame
        self._bitrates = Bitrates()
        self._endpoint: whep.WhepEndpoint | None = None
        self._detector = SpeakingDetector()
        self._levels = LevelSource(platform.create_meter, log)
        self._tasks = Tasks(log)

    @property
    def stream(self) -> Any:
        return self.current.stream if self.current is not None else None

    def set_state(self, state: ConnectionState) -> None:
        if transition(CONNECTION_TRANSITIONS, self.state, state, "connectionChange", self._log):
            self.state = state
            self._emit("connectionChange", state)

    def starting(self) -> None:
        """The session's startup began: time to first frame counts from now."""
        self._started_at = self._platform.clock()

    def prepare(self) -> None:
        """Make the first connection's peer connection and offer now, while the session is
        created and its media located (``connect`` uses them); idempotent."""
        if self.current is None:
            self.current = self._new_connection()
        self.current.prepare()

    async def connect(self, endpoint: whep.WhepEndpoint) -> None:
        """The first connection (CONNECTING -> CONNECTED); raises ``MediaError``."""
        self._endpoint = endpoint
        self.set_state(C.CONNECTING)
        await self._open(self.current)
        if self._started_at is not None:
            self._first_frame_s = self._platform.clock() - self._started_at
        self.set_state(C.CONNECTED)

    async def get_stats(self) -> ConnectionStats:
        """The current connection's stats (every field None but the first frame's time without one)."""
        media = self.current
        if media is None:
            return connection_stats(MediaStats(), Bitrates(), self._first_frame_s)
        try:
            stats = await media.stats()
        except Exception as exc:  # a peer connection closing meanwhile
            self._log.debug("stats failed: %s", exc)
            stats = MediaStats()
        self._bitrates.add(stats)
        return connection_stats(stats, self._bitrates, self._first_frame_s)

    def supervise(self) -> None:
        """Start the monitor: from now on lost media is recovered and speech is detected."""
        self._tasks.spawn("monitor", self._monitor())

    def speech_interrupted(self) -> None:
        self._speech(self._detector.interrupt())

    async def close(self) -> None:
        """Stop supervising and speaking, close the connection and DELETE its WHEP resource."""
        await self._tasks.cancel_all()
        self._stop_local()
        media, self.current = self.current, None
        if media is not None:
            await media.close()

    def close_now(self) -> None:
        """Synchronous close for pagehide (the DELETE outlives the page)."""
        self._tasks.cancel_now()
        self._stop_local()
        media, self.current = self.current, None
        if media is not None:
            media.close_now()

    def _stop_local(self) -> None:
        self._speech(self._detector.stop())
        self._levels.close()
        self._bitrates.clear()

    # --- connections --------------------------------------------------------------------
    def _new_connection(self, whep_attempts: int | None = None) -> MediaConnection:
        return MediaConnection(
            self._platform, self._config, self._log,
            on_state=self._media_state, on_stream=self._media_stream, whep_attempts=whep_attempts,
        )

    async def _open(self, media: MediaConnection | None = None, whep_attempts: int | None = None) -> None:
        """Open ``media`` (the prepared one) or a new connection, as the current one."""
        media = media or self._new_connection(whep_attempts)
        self.current = media
        try:
            self.connect_time_s = await media.open(self._endpoint)
        except BaseException:
            self.current = None
            await media.close()
            raise
        self._log.info("Media connected: first frame %.0f ms after the offer", self.connect_time_s * 1000)

    def _media_stream(self, media: MediaConnection, stream: Any) -> None:
        if media is self.current:
            self._show(stream)

    def _media_state(self, media: MediaConnection, state: str) -> None:
        if media is self.current and self.state is C.CONNECTED and state in ("disconnected", "failed"):
            self._start_recovery(f"ICE {state}")

    def _start_recovery(self, reason: str) -> None:
        if "monitor" in self._tasks and "recovery" not in self._tasks:
            self._tasks.spawn("recovery", self._recover(reason))

    async def _recover(self, reason: str) -> None:
        """Fresh WHEP negotiations with backoff (one POST each: the backoff is this loop's);
        a final WHEP error (404: the stream is gone) stops at once."""
        self._log.warning("Media lost (%s); reconnecting", reason)
        self._speech(self._detector.stop())
        self.set_state(C.DISCONNECTED)
        attempts = self._config.reconnect_attempts
        delays = [0.0, *backoff_delays(self._config.retry_config, max(attempts, 1))]
        last: AvatarError | None = None
        for n in range(1, attempts + 1):
            await self._platform.sleep(delays[n - 1])
            self.set_state(C.CONNECTING)
            old, self.current = self.current, None
            if old is not None:
                await old.close()
            try:
                await self._open(whep_attempts=1)
            except AvatarError as err:
                last = err
                self._log.warning("Reconnect attempt %d failed: %s", n, err.message)
                if isinstance(err, whep.MediaError) and err.final:
                    break
                if n < attempts:
                    self.set_state(C.DISCONNECTED)
                continue
            self.set_state(C.CONNECTED)
            return
        old, self.current = self.current, None
        if old is not None:
            await old.close()
        self.set_state(C.FAILED)
        details: dict[str, Any] = {"reason": reason, "attempts": attempts}
        if last is not None:
            details["last_error"] = last.to_dict()
        self._emit("error", AvatarError(
            AvatarErrorCode.RTC_CONNECTION_FAILED,
            f"The avatar's media connection was lost ({reason}) and could not be restored. "
            "End the session and start a new one.",
            details,
        ))

    # --- the monitor --------------------------------------------------------------------
    async def _monitor(self) -> None:
        """Poll stats: frames decoded (lost media -> recovery) and audio level (speaking)."""
        clock = self._platform.clock
        last_frames: int | None = None
        progress_at = clock()
        watched: MediaConnection | None = None
        while True:
            interval = self._config.stats_interval_s
            if self._detector.ending:  # timing a pause: a finer clock ends speech closer to its hold
                interval = min(interval, ENDING_POLL_S)
            await self._platform.sleep(interval)
            media = self.current
            if media is None or self.state is not C.CONNECTED or media is not watched:
                # a new connection (a recovery can be quicker than one poll) starts its own count
                last_frames, progress_at = None, clock()
                watched = media if self.state is C.CONNECTED else None
                continue
            try:
                stats = await media.stats()
            except Exception as exc:  # a closing peer connection; the next poll sees the new one
                self._log.debug("stats failed: %s", exc)
                continue
            self._bitrates.add(stats)
            now = clock()
            if not self._platform.page_visible() or (
                stats.frames_decoded is not None and stats.frames_decoded != last_frames
            ):
                last_frames, progress_at = stats.frames_decoded, now
            elif now - progress_at > self._config.media_timeout_s:
                self._start_recovery("no video frames")
                continue
            audible = self._audible()
            level = self._levels.level(stats, media.stream, audible)
            self._speech(self._detector.update(now, level, self._levels.hold_s(audible)))

    def _speech(self, change: str | None) -> None:
        if change is not None:
            self._log.debug("speaking %s", "started" if change == "start" else "ended")
            self._emit("speakingStart" if change == "start" else "speakingEnd")
