"""Drive a local emulator from tests: start one on a free loopback port, call its test controls
(the ``/__test__/`` routes, docs/test-controls.md) as plain Python, and read what the avatar said.

Standard library only: the emulator runs in its own process, so nothing here imports aiohttp or
aiortc, and the pytest plugin built on it (``pytest_plugin``) costs nothing to load. It needs no
browser driver either; with plain Playwright (or anything else)::

    with AvatarEmulator.start(pages="my-pages") as emulator:
        page.goto(emulator.page_url("js-page.html"))
        said = emulator.wait_for_speech("Hello!")
"""
from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY_LINE = re.compile(r"Serving on (http://\S+)")
START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 10.0


class EmulatorError(AssertionError):
    """A test control the emulator refused, or an emulator that did not start or stopped answering."""


@dataclass(frozen=True)
class Utterance:
    """One turn the avatar spoke, as the emulator sent it to the page."""

    session_id: str
    turn_id: str
    text: str | None  # the turn's text chunks that began playing, joined; None for say-audio
    start: float  # unix time its audio started
    end: float | None  # unix time it stopped; None while it is still speaking
    interrupted: bool  # cut short (interrupt, or the session ended) rather than played to its end


class AvatarEmulator:
    """A running emulator (``--test-controls``): its origin, its Control API base URL, its controls."""

    def __init__(self, origin: str, process: subprocess.Popen | None = None, log: Path | None = None):
        self.origin = origin.rstrip("/")
        self.api_base = self.origin + "/v1/avatar-session"
        self.process = process
        self.log = log

    # --- the process ------------------------------------------------------------------

    @classmethod
    def start(cls, *options: str, pages: str | Path | None = None, log: str | Path | None = None,
              timeout: float = START_TIMEOUT_S) -> AvatarEmulator:
        """Start ``python -m kaltura_avatar_emulator --port 0 --test-controls [--pages DIR] *options``
        and wait for its ready line; its stderr goes to ``log`` (default: a temporary file)."""
        if log is None:
            handle, log = tempfile.mkstemp(prefix="kaltura-avatar-emulator-", suffix=".log")
            os.close(handle)
        log = Path(log)
        command = [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", "--test-controls"]
        if pages is not None:
            command += ["--pages", str(Path(pages).resolve())]
        with log.open("w") as stderr:
            process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, stderr=stderr, text=True)
        match = READY_LINE.search(_first_line(process, timeout))
        if not match:
            _stop(process)
            tail = log.read_text(errors="replace")[-2000:].strip()
            raise EmulatorError(f"the emulator did not start within {timeout:g} s (exit code {process.returncode}); "
                                f"its log ({log}) ends with:\n{tail or '(nothing)'}")
        return cls(match.group(1), process, log)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def __enter__(self) -> AvatarEmulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def page_url(self, path: str = "") -> str:
        """The URL of one of the pages it serves (``--pages``), e.g. ``page_url("js-page.html")``."""
        return f"{self.origin}/{path.lstrip('/')}"

    # --- the test controls -------------------------------------------------------------

    def call(self, method: str, path: str, body=None, timeout: float = CALL_TIMEOUT_S):
        """One HTTP call to the emulator; the JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.origin + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} {path} -> {exc.code}: {exc.read()[:300]!r}") from None
        except OSError as exc:  # refused, reset, timed out
            raise EmulatorError(f"the emulator at {self.origin} did not answer {method} {path} ({exc}); "
                                f"has it stopped? Its log: {self.log}") from None
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        """End and forget every session, clear the faults and the request log."""
        self.call("POST", "/__test__/reset")

    def fault(self, route: str, count: int = 1, *, status: int | None = None, retry_after: float | None = None,
              hang: float | None = None, drop: bool = False, headers: dict | None = None, body=None,
              no_media: bool = False, session: str | None = None) -> None:
        """The next ``count`` requests on ``route`` (create, init-client, say-text, say-audio, interrupt,
        keep-alive, end, whep-post, whep-patch, whep-delete, create-avatar-session) answer ``status``
        (500 when nothing else is asked) with ``body`` and ``headers``, after ``hang`` seconds, or
        have their connection dropped; ``no_media`` (whep-post): the offer is answered but no frame
        is ever sent. With ``session``, only that session's requests count."""
        fault = {"route": route, "count": count, "drop": drop, "headers": dict(headers or {})}
        if retry_after is not None:
            fault["headers"]["Retry-After"] = f"{retry_after:g}"
        fault.update({k: v for k, v in (("status", status), ("hang", hang), ("body", body), ("session", session))
                      if v is not None})
        if no_media:
            fault["no_media"] = True
        self.call("POST", "/__test__/faults", fault)

    def clear_faults(self) -> None:
        self.call("DELETE", "/__test__/faults")

    def expire(self, session_id: str | None = None) -> None:
        """End a session as if it had idled out (default: the one active session)."""
        self.call("POST", f"/__test__/sessions/{self._one(session_id)}/expire")

    def drop_media(self, session_id: str | None = None) -> None:
        """Close a session's WHEP peer connection; the session stays (default: the one active session)."""
        self.call("POST", f"/__test__/sessions/{self._one(session_id)}/drop-media")

    def sessions(self) -> list[dict]:
        """Every session it knows, oldest first, as ``GET /__test__/sessions`` shows them."""
        return self.call("GET", "/__test__/sessions")

    def session(self, session_id: str) -> dict:
        return self.call("GET", f"/__test__/sessions/{session_id}")

    def requests(self) -> list[dict]:
        """Every request it received (test controls aside), oldest first, secrets redacted."""
        return self.call("GET", "/__test__/requests")

    def clear_requests(self) -> None:
        self.call("DELETE", "/__test__/requests")

    # --- what the avatar said ---------------------------------------------------------

    def speech(self, session_id: str | None = None) -> list[Utterance]:
        """The turns the avatar spoke (of one session, or of all), in the order they started."""
        snapshots = [self.session(session_id)] if session_id else self.sessions()
        said = [Utterance(s["id"], r["turn_id"], r["text"], r["start"], r["end"], r["interrupted"])
                for s in snapshots for r in s["speech"]]
        return sorted(said, key=lambda u: u.start)

    def wait_for_speech(self, text: str, session_id: str | None = None, timeout: float = 30.0) -> Utterance:
        """The first turn whose text contains ``text``, once its audio has stopped; whether it was
        played to its end or cut short is its ``interrupted``."""
        deadline = time.monotonic() + timeout
        while True:
            said = self.speech(session_id)
            match = next((u for u in said if u.text and text in u.text and u.end is not None), None)
            if match is not None:
                return match
            if time.monotonic() > deadline:
                raise EmulatorError(f"the avatar did not say {text!r} within {timeout:g} s; "
                                    f"it said {[u.text for u in said]}")
            time.sleep(0.05)  # the emulator has no push channel: poll its speech records

    def _one(self, session_id: str | None) -> str:
        if session_id is not None:
            return session_id
        active = [s["id"] for s in self.sessions() if s["state"] == "active"]
        if len(active) != 1:
            raise EmulatorError(f"{len(active)} active sessions ({active}): name the one you mean")
        return active[0]


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """The process's first line of stdout, or "" if it exits or stays silent for ``timeout`` s."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline()


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()
