"""Fixtures shared by every suite."""

from __future__ import annotations

import io

import pytest


def mp3_tone(seconds: float = 1.0, rate: int = 44100, bit_rate: int | None = None, bare: bool = False) -> bytes:
    """A mono MP3 (PyAV's libmp3lame) of a warbling tone, loud enough to be heard as speech.

    Made at test time, so no binary fixture is committed. `bare`: no ID3 tag and no Xing header,
    so two such streams concatenate into one.
    """
    import av
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.5 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) * 32767).astype(np.int16)
    out = io.BytesIO()
    with av.open(out, "w", format="mp3", options={"id3v2_version": "0", "write_xing": "0"} if bare else {}) as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        for start in range(0, len(pcm), 1152):
            frame = av.AudioFrame.from_ndarray(pcm[None, start:start + 1152], format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


@pytest.fixture(scope="session")
def make_mp3():
    """`make_mp3(seconds, rate=44100) -> bytes`: an MP3 made in the test."""
    return mp3_tone
