"""Captions: the text of each turn the session sends, shown while the avatar is heard saying it.

The Control API never says which turn is playing, so ``Captions`` matches the turns sent (the
server plays them in arrival order) to what the speaking detector hears: a start of speech
begins the next turn waiting, or goes on with the current one while its text is still streaming
in (or nothing else waits); an end of speech closes its cue. Each change is a ``caption`` event
(a ``Caption``: turn id, the turn's text so far, whether that text is final) and a cue on the
``<video>``'s captions track (``AvatarView.caption``). Turns are told apart by the pauses between
them: two turns played with no pause between them show as the first one.

>>> captions = Captions(lambda *event: print(*event), view)            # doctest: +SKIP
>>> captions.sent("turn-1", "Hello!", is_final=True)                  # doctest: +SKIP
>>> captions.relay("speakingStart")                                   # doctest: +SKIP
speakingStart
caption Caption(turn_id='turn-1', text='Hello!', is_final=True)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .log import DEFAULT_LOG, SessionLog

MAX_WAITING = 100  # turns sent but not heard yet that are remembered (the oldest go first)


@dataclass(frozen=True)
class Caption:
    """What the avatar is saying: the ``caption`` event's value."""

    turn_id: str
    text: str  # the turn's text so far (chunks joined as sent)
    is_final: bool  # True once the turn's last chunk was sent


class CaptionView(Protocol):
    def caption(self, cue_id: str, text: str) -> None: ...

    def end_caption(self) -> None: ...


@dataclass
class _Turn:
    turn_id: str
    text: str = ""
    final: bool = False


class Captions:
    """The turns sent, matched to the speech heard; ``relay`` is the media side's ``emit``."""

    def __init__(
        self, emit: Callable[..., None], view: CaptionView, *, enabled: bool = True, log: SessionLog = DEFAULT_LOG
    ) -> None:
        self._emit = emit
        self._view = view
        self._log = log
        self.enabled = enabled
        self._waiting: deque[_Turn] = deque(maxlen=MAX_WAITING)
        self._current: _Turn | None = None
        self._speaking = False

    def relay(self, event: str, *args: Any) -> None:
        """Emit ``event``; speaking changes also move the captions on (a failing cue is logged:
        the media monitor that calls this must go on)."""
        self._emit(event, *args)
        if not self.enabled or event not in ("speakingStart", "speakingEnd"):
            return
        try:
            if event == "speakingStart":
                self._heard()
            else:
                self._silent()
        except Exception:
            self._log.exception("Captions failed; the session goes on")

    def sent(self, turn_id: str, text: str | None, is_final: bool) -> None:
        """A turn (or a chunk of one) was accepted by the server; ``text`` None for audio."""
        if not self.enabled:
            return
        open_turns = (t for t in (self._current, *self._waiting) if t is not None and not t.final)
        turn = next((t for t in open_turns if t.turn_id == turn_id), None)
        if turn is None:  # a new turn (a final turn's id used again starts a new one, as on the server)
            turn = _Turn(turn_id)
            self._waiting.append(turn)
        turn.text += text or ""
        turn.final = turn.final or is_final
        if turn is self._current and self._speaking:
            self._show(turn)

    def interrupted(self) -> None:
        """Speech was cut and the server dropped the queued turns."""
        self._silent()
        self._waiting.clear()
        self._current = None

    def _heard(self) -> None:
        self._speaking = True
        current = self._current
        if current is None or (current.final and self._waiting):
            current = self._current = self._waiting.popleft() if self._waiting else None
        if current is not None:
            self._show(current)

    def _silent(self) -> None:
        self._speaking = False
        self._view.end_caption()

    def _show(self, turn: _Turn) -> None:
        if not turn.text.strip():  # audio sent without its text: nothing to show
            self._view.end_caption()
            return
        self._emit("caption", Caption(turn.turn_id, turn.text, turn.final))
        self._view.caption(turn.turn_id, turn.text.strip())
