"""Audio in the page: a WebAudio meter for a stream's level (the SDK's ``AudioMeter`` port), and
the bytes of a JS ``Blob`` or ``File`` for ``say_audio``.

The meter is used while the ``<video>`` is muted or absent, because Chromium computes the
inbound-rtp ``audioLevel`` only for audio it renders.

>>> meter = WebAudioMeter(stream)   # doctest: +SKIP
>>> meter.level()                   # doctest: +SKIP
0.12
>>> data = await read_blob(file)    # doctest: +SKIP
"""

from __future__ import annotations

from array import array
from typing import Any

from ..errors import AvatarError, AvatarErrorCode
from .interop import JsProxy, ignore_rejection, js


class WebAudioMeter:
    """Peak level of a stream's audio through a WebAudio ``AnalyserNode``."""

    def __init__(self, stream: Any) -> None:
        self._context = js.AudioContext.new()
        self._source = self._context.createMediaStreamSource(stream)
        self._analyser = self._context.createAnalyser()
        self._analyser.fftSize = 1024
        self._source.connect(self._analyser)
        self._buffer = js.Float32Array.new(self._analyser.fftSize)
        if self._context.state == "suspended":
            ignore_rejection(self._context.resume())

    def level(self) -> float:
        self._analyser.getFloatTimeDomainData(self._buffer)
        samples = array("f")
        samples.frombytes(self._buffer.to_bytes())
        return max((abs(s) for s in samples), default=0.0)

    def close(self) -> None:
        self._source.disconnect()
        ignore_rejection(self._context.close())


async def read_blob(value: Any) -> bytes:
    """The bytes of a JS ``Blob`` or ``File``; ``INVALID_CONFIGURATION`` for anything else."""
    if not isinstance(value, JsProxy) or not js.Blob.prototype.isPrototypeOf(value):
        raise AvatarError(
            AvatarErrorCode.INVALID_CONFIGURATION,
            f"audio must be bytes, a File or a Blob, not {type(value).__name__}",
        )
    buffer = await value.arrayBuffer()
    return bytes(buffer.to_bytes())
