"""The emulator's process-wide changes to aiortc and aioice, in one place, each with its reason.

Both replace a module attribute, so they affect every peer connection of the process (the
emulator's WHEP senders and the test viewer alike); both are idempotent, and the emulator
applies them at startup, before any peer connection exists. Both come from running real WebRTC
between aiortc and headless Chromium on loopback, offline.
"""
from __future__ import annotations

import math

import aioice.ice
import av
import numpy as np
from aiortc import rtp

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def use_loopback_candidates(bind_host: str) -> None:
    """Offer 127.0.0.1 as a host candidate: aioice never does, and a server bound to loopback
    (the tests, the offline demo) would then have no address a local browser can reach.
    On loopback it is the only candidate; on another bind address it comes first."""
    original = aioice.ice.get_host_addresses
    if getattr(original, "_emulator_patched", False):
        return

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if bind_host in LOOPBACK:
            return ["127.0.0.1"] if use_ipv4 else []
        return (["127.0.0.1"] if use_ipv4 else []) + original(use_ipv4, use_ipv6)

    host_addresses._emulator_patched = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = host_addresses


def audio_level_dbov(frame: av.AudioFrame) -> int:
    """RFC 6465 audio level as aiortc computes it, vectorised (aiortc loops over samples in Python)."""
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16).astype(np.float64)
    rms = float(np.sqrt(np.dot(samples, samples) / (frame.samples * 32767.0 * 32767.0)))
    if rms <= 0:
        return -127
    return round(min(0.0, max(-127.0, 20 * math.log10(rms))))


def speed_up_aiortc() -> None:
    """Swap aiortc's per-sample Python loop for ``audio_level_dbov`` (same results, ~50x cheaper):
    aiortc computes the level of every audio frame it sends (960 samples, 50 frames a second per
    session), and the emulator holds several sessions on two shared cores."""
    rtp.compute_audio_level_dbov = audio_level_dbov
