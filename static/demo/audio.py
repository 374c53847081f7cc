"""An audio file picked in the page, checked as soon as it is picked: the SDK's own MP3 check on
its bytes (MP3 at 44.1 kHz; a WAV is named as one, renamed or not), then its duration, measured
with WebAudio `decodeAudioData`. A file the avatar cannot speak is refused before any click."""

from __future__ import annotations

from js import OfflineAudioContext

from kaltura_avatar import AvatarError
from kaltura_avatar.mp3 import check_mp3


class AudioFileError(Exception):
    """The picked file is not audio the avatar can speak; the message says why."""

    code = "AUDIO_FILE_REFUSED"


async def inspect(file) -> float:
    """Seconds of audio in a JS File/Blob the avatar can speak; else `AudioFileError`."""
    buffer = await file.arrayBuffer()
    try:
        check_mp3(bytes(buffer.to_bytes()))
    except AvatarError as err:
        raise AudioFileError(err.message) from None
    context = OfflineAudioContext.new(1, 1, 44100)  # no sound device, no user gesture needed
    try:
        decoded = await context.decodeAudioData(buffer)
    except Exception:
        raise AudioFileError("The browser could not decode this MP3: it may be damaged. Try another file.") from None
    return float(decoded.duration)
