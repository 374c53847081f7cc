"""What the demo page says, as plain functions (tested on the host): the step a connection is
on, what the buttons will do, the live stats line, the note when text is cut, short log lines."""

from __future__ import annotations

TEXT_LIMIT = 5000  # characters the text box keeps (the SDK splits long text into one turn)
PREVIEW = 120  # a log entry longer than this shows its start, the rest on demand

STEPS = {
    "backend": "Asking your backend for a session…",
    "creating": "Creating the session…",
    "starting": "Starting the session…",
    "connecting": "Connecting the video…",
    "reconnecting": "Reconnecting the video…",
}


def connect_label(state: str, step: str | None) -> str:
    """The Connect button says what it will do (or what it is doing)."""
    if step is not None and state in ("IDLE", "CREATING", "ENDED", "ERROR"):
        return STEPS[step]
    return {"CREATING": STEPS["creating"], "READY": "Connected", "ENDED": "Connect again",
            "ERROR": "Try again"}.get(state, "Connect")


def end_label(state: str) -> str:
    return "Cancel" if state == "CREATING" else "End session"


def locked_hint(state: str) -> str:
    """Under the locked Connect form: how to unlock it."""
    return "Cancel to change these settings." if state == "CREATING" else "End the session to change these settings."


def fit(text: str, limit: int = TEXT_LIMIT) -> tuple[str, str | None]:
    """``text`` cut to ``limit`` characters, and the note that says so (None when it fits).

    >>> fit("abcdef", 4)
    ('abcd', 'The text was cut to 4 characters (it had 6).')
    """
    if len(text) <= limit:
        return text, None
    return text[:limit], f"The text was cut to {limit:,} characters (it had {len(text):,})."


def count(text: str, limit: int = TEXT_LIMIT) -> str:
    return f"{len(text):,} / {limit:,} characters"


def preview(text: str, limit: int = PREVIEW) -> str | None:
    """The start of a long log line (None when it is short enough to show whole)."""
    if len(text) <= limit:
        return None
    return f"{text[:limit].rstrip()}… ({len(text):,} characters)"


def rate(bps: int) -> str:
    """A bitrate for people.

    >>> rate(180_751), rate(2_400_000)
    ('181 kbit/s', '2.4 Mbit/s')
    """
    return f"{bps / 1e6:.1f} Mbit/s" if bps >= 1e6 else f"{bps / 1e3:.0f} kbit/s"


def stats_line(stats) -> str:
    """One line of a ``ConnectionStats``; what is not known yet is left out."""
    parts = []
    if stats.frames_per_second is not None:
        parts.append(f"{stats.frames_per_second:.0f} fps")
    if stats.video_bitrate_bps is not None:
        parts.append(f"video {rate(stats.video_bitrate_bps)}")
    if stats.audio_bitrate_bps is not None:
        parts.append(f"audio {rate(stats.audio_bitrate_bps)}")
    if stats.round_trip_time_ms is not None:
        parts.append(f"RTT {stats.round_trip_time_ms:.0f} ms")
    if stats.jitter_ms is not None:
        parts.append(f"jitter {stats.jitter_ms:.0f} ms")
    if stats.packets_lost is not None:
        parts.append(f"{stats.packets_lost} lost")
    if stats.frames_dropped:
        parts.append(f"{stats.frames_dropped} frames dropped")
    if stats.candidate_type:
        parts.append("via TURN relay" if stats.candidate_type == "relay" else f"{stats.candidate_type} path")
    if stats.time_to_first_frame_ms is not None:
        parts.append(f"first frame {stats.time_to_first_frame_ms / 1000:.2f} s")
    return " · ".join(part.replace(" ", "\u00a0") for part in parts)  # a line breaks between parts only


def text_note(text: str, cut: str | None, limit: int = TEXT_LIMIT) -> str:
    """Under the text box: the cut note, else the count once the text nears the limit."""
    if cut:
        return cut
    return count(text, limit) if len(text) >= limit * 0.9 else ""


def placeholder(state: str, cancelled: bool) -> str:
    """What the empty video box says."""
    if cancelled:
        return "Cancelled. Connect to try again."
    return {"ENDED": "The session ended. Connect to start another.",
            "ERROR": "No video: see the message above, then try again."}.get(state, "Connect to see the avatar.")
