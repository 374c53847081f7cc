"""Checks that audio is MP3 at 44.1 kHz from its first frame header (after any ID3v2 tag)."""

from __future__ import annotations

SAMPLE_RATES = {  # version bits -> sample-rate index -> Hz
    0b11: (44100, 48000, 32000),  # MPEG-1
    0b10: (22050, 24000, 16000),  # MPEG-2
    0b00: (11025, 12000, 8000),  # MPEG-2.5
}
SCAN_LIMIT = 4096  # bytes after the tag in which the first frame must start


def id3v2_size(data: bytes) -> int:
    """Length of a leading ID3v2 tag (0 when there is none)."""
    if len(data) < 10 or data[:3] != b"ID3" or any(b & 0x80 for b in data[6:10]):
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def mp3_sample_rate(data: bytes) -> int | None:
    """Sample rate of the first MPEG audio Layer III frame, or ``None`` when there is none."""
    start = id3v2_size(data)
    end = min(len(data) - 3, start + SCAN_LIMIT)
    for i in range(start, max(end, start)):
        if data[i] != 0xFF or (data[i + 1] & 0xE0) != 0xE0:
            continue
        version = (data[i + 1] >> 3) & 0b11
        layer = (data[i + 1] >> 1) & 0b11
        bitrate = data[i + 2] >> 4
        rate = (data[i + 2] >> 2) & 0b11
        if version == 0b01 or layer != 0b01 or bitrate == 0b1111 or rate == 0b11:
            continue  # reserved values, or not Layer III
        return SAMPLE_RATES[version][rate]
    return None
