"""The emulator's settings, filled by the CLI (or directly by tests and benchmarks)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

# The runtime people's pages load (from ROOT/static/), at one documented path: the emulator serves
# it there, and `make dist PAGES=DIR` puts it in that folder next to the pages.
RUNTIME_PREFIX = "/kaltura-avatar/"
RUNTIME_FILES = ("kaltura-avatar.js", "pyodide-snapshot.mjs")  # and everything under vendor/


def default_root() -> Path:
    """The project root when running from a checkout, else the working directory."""
    project = Path(__file__).resolve().parents[2]
    return project if (project / "index.html").is_file() else Path.cwd()


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    root: Path = field(default_factory=default_root)
    mounts: dict[str, Path] = field(default_factory=dict)
    pages: Path | None = None  # a folder of the user's pages served at / in place of the demo
    test_controls: bool = False
    idle_timeout: float = 120.0
    max_sessions: int = 5
    viewer_connect_timeout: float = 10.0  # a WHEP viewer not connected by then is dropped
    accepted_ks: list[str] = field(default_factory=list)  # empty: any non-empty KS
    forbidden_ks: list[str] = field(default_factory=lambda: ["forbidden-ks"])
    token_ttl: float = 24 * 3600.0
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    public_url: str | None = None  # base of whepUrl; default: the request's own origin
    turn: bool = False  # run a local coturn and hand out its credentials
    turn_host: str = "127.0.0.1"
    turn_port: int = 80  # clients build turn:H:80 and :443 URLs from the bare host
    turn_username: str = "avatar"
    turn_credential: str = field(default_factory=lambda: secrets.token_hex(8))
    upstream_url: str | None = None  # /api/create-avatar-session target; None: this process
    upstream_ks: str = "emulator-backend-ks"
    upstream_timeout: float = 10.0  # seconds per attempt at the upstream create (the SDK's request timeout)
    backend_avatar_id: str = "avatar-123"
    backend_voice_id: str | None = "voice-456"
    max_text_chars: int = 1000
    max_audio_bytes: int = 10 * 1024 * 1024
    max_audio_seconds: float = 600.0  # one say-audio clip
    max_turn_chars: int = 10_000  # all the say-text chunks of one turn
    max_queue_seconds: float = 600.0  # speech waiting to play, per session, before say-* answers 429
    allow_origins: list[str] = field(default_factory=list)  # besides loopback: may use the backend route
    allow_hosts: list[str] = field(default_factory=list)  # Host names answered besides loopback and --host

    def runtime_missing(self) -> str | None:
        """What to do when the runtime people's pages load (ROOT/static/vendor/) is not built."""
        if (self.root / "static" / "vendor" / "pyodide" / "pyodide.mjs").is_file():
            return None
        return (f"the browser runtime is not built in {self.root / 'static' / 'vendor'}: "
                "run `make setup` (or `python scripts/build_vendor.py`) in the project folder")
