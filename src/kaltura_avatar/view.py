"""The avatar's ``<video>`` as a session drives it (``AvatarView``): made on the first attach
(``attach_avatar`` or a ``video_container_id``), given each new stream (a reconnect brings one),
played with sound (muted when the browser refuses autoplay with sound, and then said so in the
log), given the captions' cues (``captions.Captions`` drives them), and removed at teardown.
The element itself is the platform's ``MediaView``.

>>> view = AvatarView(platform.create_view, log)   # doctest: +SKIP
>>> view.attach("avatar-container"); view.show(stream)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .checks import non_empty
from .log import SessionLog
from .ports import MediaView
from .tasks import start_now


class AvatarView:
    def __init__(self, create_view: Callable[[], MediaView], log: SessionLog) -> None:
        self._create_view = create_view
        self._log = log
        self._view: MediaView | None = None
        self._stream: Any = None
        self._playing: asyncio.Task | None = None

    def attach(self, container_id: str) -> None:
        """Put the one ``<video>`` in the div (create it, or move it)."""
        non_empty(container_id, "container_id")
        if self._view is None:
            self._view = self._create_view()
        self._view.attach(container_id)
        if self._stream is not None:
            self._play()

    def show(self, stream: Any) -> None:
        """Play ``stream`` now, or as soon as the element is attached."""
        self._stream = stream
        if self._view is not None:
            self._play()

    def _play(self) -> None:
        self._view.show(self._stream)
        if self._playing is not None:
            self._playing.cancel()
        self._playing = start_now(self._start(self._view))

    async def _start(self, view: MediaView) -> None:
        if not await view.play():
            self._log.warning("Autoplay with sound was blocked: the avatar plays muted until the next click or key press")

    async def started(self, timeout: float) -> None:
        """Wait (up to ``timeout``) until playback began, so ``muted`` is known."""
        if self._playing is not None and not self._playing.done():
            await asyncio.wait({self._playing}, timeout=timeout)

    def caption(self, cue_id: str, text: str) -> None:
        """Show ``text`` as the cue ``cue_id`` on the ``<video>``'s captions track (if there is one)."""
        if self._view is not None:
            self._view.caption(cue_id, text)

    def end_caption(self) -> None:
        if self._view is not None:
            self._view.end_caption()

    @property
    def muted(self) -> bool:
        return self._view is not None and self._view.muted

    @property
    def audible(self) -> bool:
        return self._view is not None and self._view.audible

    def detach(self) -> None:
        if self._playing is not None:
            self._playing.cancel()
            self._playing = None
        if self._view is not None:
            self._view.detach()
            self._view = None
        self._stream = None
