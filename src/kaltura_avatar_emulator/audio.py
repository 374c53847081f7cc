"""Decode any audio PyAV reads (MP3, WAV, ...) to mono s16 PCM at 48 kHz."""
from __future__ import annotations

import io

import av
import numpy as np

RATE = 48000


class UndecodableAudio(ValueError):
    pass


def decode_to_pcm(data: bytes) -> np.ndarray:
    """int16 mono samples at 48 kHz; UndecodableAudio if there is no decodable audio."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise UndecodableAudio("no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks: list[np.ndarray] = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except UndecodableAudio:
        raise
    except (av.FFmpegError, ValueError, EOFError, OSError) as exc:
        raise UndecodableAudio(str(exc)) from exc
    if not chunks:
        raise UndecodableAudio("no audio samples")
    pcm = np.concatenate(chunks).astype(np.int16, copy=False)
    if pcm.size == 0:
        raise UndecodableAudio("no audio samples")
    return pcm
