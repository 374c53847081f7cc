"""The avatar's ``<video>`` element: the SDK's ``MediaView`` port, with the JS SDK's DOM behaviour.

``attach(container_id)`` puts one ``<video autoplay playsinline>`` filling the div (width and
height 100 %, ``object-fit: cover``); called again it moves the same element. ``play()`` starts
playback with sound; when the browser refuses autoplay with sound it plays muted and unmutes at
the next click or key press in the page. ``caption()`` shows a turn's text as a cue on the
element's captions ``TextTrack`` (kind ``captions``, shown by the browser), made on the first
caption, so the browser's own caption rendering and menus work; the text shows as it is (WebVTT
markup in it is escaped). ``detach()`` removes the element and its listeners.

>>> view = VideoView()                     # doctest: +SKIP
>>> view.attach("avatar-container")        # doctest: +SKIP
>>> view.show(stream); await view.play()   # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import AvatarError, AvatarErrorCode
from .interop import JsException, Proxies, error_name, ignore_rejection, js, js_object, jsnull

VIDEO_STYLE = {"width": "100%", "height": "100%", "objectFit": "cover", "display": "block"}
GESTURES = ("pointerdown", "keydown")
CAPTIONS_LABEL = "Avatar"


class VideoView:
    """The avatar's one ``<video>``: created on the first attach, moved by later ones."""

    def __init__(self) -> None:
        self._proxies = Proxies()
        self._video: Any = None
        self._stream: Any = None
        self._unmute: Any = None  # the gesture listener while autoplay with sound is blocked
        self._track: Any = None  # the captions TextTrack, once a caption came
        self._cue: Any = None  # its last VTTCue

    def attach(self, container_id: str) -> None:
        container = js.document.getElementById(container_id)
        if not container:
            raise AvatarError(
                AvatarErrorCode.INVALID_CONFIGURATION,
                f"No element with id {container_id!r} in the page: add <div id={container_id!r}></div> "
                "or pass the id of an element that exists",
                {"container_id": container_id},
            )
        if self._video is None:
            self._video = self._create()
        if not (self._video.parentNode and self._video.parentNode == container):
            container.appendChild(self._video)

    @staticmethod
    def _create() -> Any:
        video = js.document.createElement("video")
        video.setAttribute("autoplay", "")
        video.setAttribute("playsinline", "")
        video.setAttribute("data-kaltura-avatar", "")
        video.autoplay = True
        video.playsInline = True
        video.muted = False
        for name, value in VIDEO_STYLE.items():
            setattr(video.style, name, value)
        return video

    def show(self, stream: Any) -> None:
        self._stream = stream
        if self._video is not None and not (self._video.srcObject and self._video.srcObject == stream):
            self._video.srcObject = stream

    async def play(self) -> bool:
        video = self._video
        if video is None or self._stream is None:
            return True
        if not video.srcObject:
            video.srcObject = self._stream
        video.muted = False
        try:
            await video.play()
            return True
        except JsException as exc:
            if error_name(exc) != "NotAllowedError":
                return True  # interrupted by a new srcObject or a detach: not a refusal
        video.muted = True
        try:
            await video.play()
        except JsException:
            pass  # not even muted: the element shows the first frame and waits for a gesture
        self._unmute_on_gesture()
        return False

    def _unmute_on_gesture(self) -> None:
        if self._unmute is not None:
            return

        def unmute(_event: Any) -> None:
            self._remove_gesture_listener()
            if self._video is not None:
                self._video.muted = False
                if self._video.paused:
                    ignore_rejection(self._video.play())

        self._unmute = self._proxies.create(unmute)
        for name in GESTURES:
            js.document.addEventListener(name, self._unmute, js_object({"capture": True}))

    def _remove_gesture_listener(self) -> None:
        if self._unmute is not None:
            for name in GESTURES:
                js.document.removeEventListener(name, self._unmute, True)
            self._unmute = None  # the proxy itself is destroyed with the view

    def caption(self, cue_id: str, text: str) -> None:
        video = self._video
        if video is None:
            return
        if self._track is None:
            self._track = video.addTextTrack("captions", CAPTIONS_LABEL)
            self._track.mode = "showing"
        now = float(video.currentTime)
        text = vtt_text(text)
        cue = self._cue
        if cue is not None and cue.id == cue_id and cue.startTime <= now:
            cue.text = text
            cue.endTime = math.inf  # open again if a pause had ended it
            return
        self.end_caption()
        self._cue = js.VTTCue.new(now, math.inf, text)
        self._cue.id = cue_id
        self._track.addCue(self._cue)

    def end_caption(self) -> None:
        cue = self._cue
        if cue is not None and math.isinf(cue.endTime):
            cue.endTime = max(float(self._video.currentTime), float(cue.startTime))

    @property
    def muted(self) -> bool:
        return self._video is not None and self._unmute is not None and bool(self._video.muted)

    @property
    def audible(self) -> bool:
        video = self._video
        return bool(video is not None and self._stream is not None and video.isConnected and not video.muted)

    def detach(self) -> None:
        self._remove_gesture_listener()
        if self._video is not None:
            self._video.pause()
            self._video.srcObject = jsnull
            self._video.remove()
        self._video = self._stream = self._track = self._cue = None
        self._proxies.destroy_all()


def vtt_text(text: str) -> str:
    """``text`` as WebVTT cue text that shows it literally (``<b>`` or ``&amp;`` are markup there).

    >>> vtt_text("a < b & <i>c</i>")
    'a &lt; b &amp; &lt;i&gt;c&lt;/i&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
