"""The MP3 check of ``say_audio``: audio is MP3 at 44.1 kHz, read from its frame headers (after
any ID3v2 tag), so a wrong file is refused before anything is uploaded.

A frame header counts only when the next frame's header follows where its length says it
must (or the data ends there), so random bytes that happen to look like a sync word do not.
"""

from __future__ import annotations

from .checks import invalid

SAMPLE_RATES = {  # version bits -> sample-rate index -> Hz
    0b11: (44100, 48000, 32000),  # MPEG-1
    0b10: (22050, 24000, 16000),  # MPEG-2
    0b00: (11025, 12000, 8000),  # MPEG-2.5
}
BITRATES_KBPS = {  # Layer III, bitrate index 1..14 (0 is "free format", 15 is reserved)
    0b11: (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    0b10: (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
SCAN_LIMIT = 4096  # bytes after the tag in which the first frame must start


def id3v2_size(data: bytes) -> int:
    """Length of a leading ID3v2 tag (0 when there is none)."""
    if len(data) < 10 or data[:3] != b"ID3" or any(b & 0x80 for b in data[6:10]):
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def frame_header(data: bytes, i: int) -> tuple[int, int, int] | None:
    """``(version, sample rate, frame length)`` of a Layer III frame header at ``i``, else None."""
    if i + 4 > len(data) or data[i] != 0xFF or (data[i + 1] & 0xE0) != 0xE0:
        return None
    version = (data[i + 1] >> 3) & 0b11
    layer = (data[i + 1] >> 1) & 0b11
    bitrate = data[i + 2] >> 4
    rate_index = (data[i + 2] >> 2) & 0b11
    if version == 0b01 or layer != 0b01 or bitrate in (0, 0b1111) or rate_index == 0b11:
        return None  # reserved values, free format, or not Layer III
    rate = SAMPLE_RATES[version][rate_index]
    kbps = BITRATES_KBPS[0b11 if version == 0b11 else 0b10][bitrate - 1]
    padding = (data[i + 2] >> 1) & 1
    length = (144 if version == 0b11 else 72) * kbps * 1000 // rate + padding
    return version, rate, length


def mp3_sample_rate(data: bytes) -> int | None:
    """Sample rate of the first Layer III frame confirmed by the next one, or ``None``."""
    start = id3v2_size(data)
    for i in range(start, min(len(data), start + SCAN_LIMIT)):
        header = frame_header(data, i)
        if header is None:
            continue
        version, rate, length = header
        following = frame_header(data, i + length)
        if i + length >= len(data) or (following is not None and following[:2] == (version, rate)):
            return rate
    return None


def check_mp3(data: bytes) -> None:
    """``INVALID_CONFIGURATION`` unless ``data`` is MP3 at 44.1 kHz; the message says what it is."""
    if not data:
        raise invalid("The audio is empty: the avatar speaks MP3 at 44.1 kHz.")
    rate = mp3_sample_rate(data)
    if rate == 44100:
        return
    if rate is not None:
        what = f"an MP3 at {rate / 1000:g} kHz"
    elif data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        what = "a WAV file"
    else:
        what = "not an MP3 file"
    raise invalid(f"The audio is {what}: the avatar speaks MP3 at 44.1 kHz. Convert it, then try again.",
                  sample_rate=rate)
