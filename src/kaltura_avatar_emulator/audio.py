"""Decode any audio PyAV reads (MP3, WAV, ...) to mono s16 PCM at 48 kHz, with a length limit."""
from __future__ import annotations

import io

import av
import numpy as np

RATE = 48000


class UndecodableAudio(ValueError):
    pass


class AudioTooLong(ValueError):
    def __init__(self, seconds: float, limit: float):
        super().__init__(f"{seconds:.0f} s of audio, over the {limit:g} s limit")
        self.seconds, self.limit = seconds, limit


def decode_to_pcm(data: bytes, max_seconds: float | None = None) -> np.ndarray:
    """int16 mono samples at 48 kHz; UndecodableAudio if there is no decodable audio.

    With `max_seconds`, AudioTooLong if the stream says it is longer (checked before decoding),
    or as soon as the decoded samples pass the limit (a stream may understate its length), so a
    small, low-bitrate file never becomes gigabytes of PCM.
    """
    limit = None if max_seconds is None else int(max_seconds * RATE)
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise UndecodableAudio("no audio stream")
            declared = (container.duration or 0) / av.time_base
            if max_seconds is not None and declared > max_seconds:
                raise AudioTooLong(declared, max_seconds)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks: list[np.ndarray] = []
            total = 0
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += chunks[-1].size
                if limit is not None and total > limit:
                    raise AudioTooLong(total / RATE, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (UndecodableAudio, AudioTooLong):
        raise
    except (av.FFmpegError, ValueError, EOFError, OSError) as exc:
        raise UndecodableAudio(str(exc)) from exc
    if not chunks:
        raise UndecodableAudio("no audio samples")
    pcm = np.concatenate(chunks).astype(np.int16, copy=False)
    if pcm.size == 0:
        raise UndecodableAudio("no audio samples")
    return pcm
