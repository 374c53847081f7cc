"""What the demo page says, as plain functions (tested on the host): the step a connection is
on, what the buttons will do, the live stats line, the note when text is cut, short log lines."""

from __future__ import annotations

TEXT_LIMIT = 5000  # characters the text box keeps (the SDK splits long text into one turn)
PREVIEW = 120  # a log entry longer than this shows its start, the rest on demand

STEPS = {
    "loading": "Loading the session's Python packages…",
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
    shown = (
        (stats.frames_per_second, lambda v: f"{v:.0f} fps"),
        (stats.video_bitrate_bps, lambda v: f"video {rate(v)}"),
        (stats.audio_bitrate_bps, lambda v: f"audio {rate(v)}"),
        (stats.round_trip_time_ms, lambda v: f"RTT {v:.0f} ms"),
        (stats.jitter_ms, lambda v: f"jitter {v:.0f} ms"),
        (stats.packets_lost, lambda v: f"{v} lost"),
        (stats.frames_dropped or None, lambda v: f"{v} frames dropped"),
        (stats.candidate_type, lambda v: "via TURN relay" if v == "relay" else f"{v} path"),
        (stats.time_to_first_frame_ms, lambda v: f"first frame {v / 1000:.2f} s"),
    )
    parts = [show(value) for value, show in shown if value is not None]
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
