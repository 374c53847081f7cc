"""One WebRTC negotiation over WHEP: peer connection, offer at once, answer, trickle, first
decoded frame, and teardown (close, ``srcObject`` dropped by the view, WHEP DELETE)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import whep
from .config import AvatarConfig, RetryConfig
from .control import ClientInfo
from .errors import AvatarError
from .log import logger
from .ports import MediaStats, PeerCallbacks, PeerConnection, Platform

FIRST_FRAME_POLL_S = 0.05


class MediaConnection:
    def __init__(
        self,
        platform: Platform,
        info: ClientInfo,
        config: AvatarConfig,
        *,
        on_state: Callable[[MediaConnection, str], None],
        on_stream: Callable[[MediaConnection, Any], None],
        whep_retry: RetryConfig | None = None,
    ) -> None:
        self._platform = platform
        self._whep_retry = whep_retry or config.retry_config
        self._info = info
        self._config = config
        self._on_state = on_state
        self._on_stream = on_stream
        self.pc: PeerConnection | None = None
        self.resource: whep.WhepResource | None = None
        self.stream: Any = None
        self.state = "new"
        self._trickler = whep.Trickler()
        self._trickle_task: asyncio.Task | None = None
        self._closed = False

    async def open(self) -> float:
        """Negotiate and wait for the first decoded frame; return the seconds it took.
        Raises ``AvatarError(RTC_CONNECTION_FAILED)``; the caller closes on failure."""
        started = self._platform.clock()
        timeout = self._config.connect_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await self._negotiate()
                await self._first_frame()
        except TimeoutError:
            raise whep.rtc_error(f"No video frame within {timeout:g} s", timeout=timeout) from None
        except AvatarError:
            raise
        except Exception as exc:  # the browser refused something (a bad ICE server URL, an SDP...)
            raise whep.rtc_error(f"WebRTC failed: {type(exc).__name__}: {exc}") from None
        return self._platform.clock() - started

    async def _negotiate(self) -> None:
        config = self._config
        self.pc = self._platform.create_peer(
            ice_servers=whep.ice_servers(self._info.turn),
            ice_transport_policy=config.ice_transport_policy,
            callbacks=PeerCallbacks(self._trickler.add, self._state_changed, self._stream_arrived),
        )
        offer = await self.pc.create_offer()
        answer, self.resource = await whep.negotiate(
            self._platform.http,
            self._info.whep_url,
            offer,
            self._whep_retry,
            timeout=config.request_timeout_s,
            sleep=self._platform.sleep,
        )
        await self.pc.set_answer(answer)
        self._trickle_task = asyncio.ensure_future(self._trickler.run(self.resource, offer))

    async def _first_frame(self) -> None:
        while True:
            if self.state == "failed":
                raise whep.rtc_error("ICE connection failed", ice_state="failed")
            stats = await self.pc.stats()
            if (stats.frames_decoded or 0) > 0:
                return
            await self._platform.sleep(FIRST_FRAME_POLL_S)

    async def stats(self) -> MediaStats:
        return await self.pc.stats() if self.pc is not None and not self._closed else MediaStats()

    def _state_changed(self, state: str) -> None:
        if self._closed:
            return
        logger.debug("peer connection: %s", state)
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
        if self._trickle_task is not None:
            self._trickle_task.cancel()
        if self.pc is not None:
            self.pc.close()
        self.stream = None
        return False
