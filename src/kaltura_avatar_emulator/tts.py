"""Text to speech with the espeak-ng command (`--stdout` WAV), resampled to 48 kHz PCM."""
from __future__ import annotations

import asyncio
import shutil

import numpy as np

from .audio import decode_to_pcm
from .catalog import Voice

BASE_WPM = 175  # speed 1.0
TIMEOUT = 10.0


class TtsUnavailable(RuntimeError):
    pass


def find_espeak() -> str:
    """Path of espeak-ng, or TtsUnavailable with what to install."""
    path = shutil.which("espeak-ng")
    if not path:
        raise TtsUnavailable(
            "espeak-ng not found: the emulator's TTS needs it (Debian: apt-get install espeak-ng)"
        )
    return path


def words_per_minute(speed: float) -> int:
    return max(80, min(450, round(BASE_WPM * speed)))


async def synthesize(text: str, voice: Voice, speed: float = 1.0) -> np.ndarray:
    """int16 mono 48 kHz PCM of `text` spoken by `voice`."""
    exe = find_espeak()
    proc = await asyncio.create_subprocess_exec(
        exe, "--stdout", "-v", voice.espeak, "-p", str(voice.pitch), "-s", str(words_per_minute(speed)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        wav, err = await asyncio.wait_for(proc.communicate(text.encode()), TIMEOUT)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0 or not wav:
        raise TtsUnavailable(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:200]}")
    return await asyncio.to_thread(decode_to_pcm, wav)
