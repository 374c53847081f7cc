"""An MP3's duration, measured in the page: WebAudio `decodeAudioData` on the file's bytes."""

from __future__ import annotations

from js import OfflineAudioContext


class AudioFileError(Exception):
    """The chosen file is not audio the browser can decode."""

    code = "AUDIO_DECODE_FAILED"


async def duration(file) -> float:
    """Seconds of audio in a JS File/Blob; raises when the browser cannot decode it."""
    data = await file.arrayBuffer()
    context = OfflineAudioContext.new(1, 1, 44100)  # no sound device, no user gesture needed
    decoded = await context.decodeAudioData(data)
    return float(decoded.duration)
