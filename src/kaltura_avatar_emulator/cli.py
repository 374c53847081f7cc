"""Command line: parse options, start the server, print the ready line, stop cleanly on signals."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from kaltura_avatar.messages import is_loopback_host

from . import __doc__ as PACKAGE_DOC
from .app import build_app
from .config import Settings, default_root
from .tts import TtsUnavailable, find_espeak
from .turn import TurnUnavailable


def parse_folder(value: str) -> Path:
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {value}")
    return path


def parse_mount(value: str) -> tuple[str, Path]:
    prefix, sep, folder = value.partition("=")
    if not sep or not prefix.startswith("/") or not folder:
        raise argparse.ArgumentTypeError("expected /prefix=DIR")
    return "/" + prefix.strip("/"), parse_folder(folder)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kaltura_avatar_emulator",
        description=PACKAGE_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to bind; 0 picks a free one (default 8000)")
    p.add_argument("--pages", type=parse_folder, default=None, metavar="DIR", help="serve your pages from DIR at / in place of the demo; they load the runtime from ./kaltura-avatar/")
    p.add_argument("--root", type=Path, default=None, help="the demo's folder: index.html, pyscript.toml, static/ with the runtime in static/vendor/ (default: project root)")
    p.add_argument("--mount", type=parse_mount, action="append", default=[], metavar="/PREFIX=DIR", help="also serve DIR under /PREFIX/ (repeatable)")
    p.add_argument("--test-controls", action="store_true", help="enable the /__test__/ routes (faults, expiry, request log, media state)")
    p.add_argument("--idle-timeout", type=float, default=120.0, metavar="S", help="end a session after S seconds without keep-alive (default 120)")
    p.add_argument("--max-sessions", type=int, default=5, metavar="N", help="concurrent sessions before create answers 429 (default 5)")
    p.add_argument("--viewer-connect-timeout", type=float, default=10.0, metavar="S", help="drop a WHEP viewer not connected after S seconds, freeing the stream (default 10)")
    p.add_argument("--ks", action="append", default=[], metavar="KS", help="accepted KS (repeatable; default: any non-empty KS)")
    p.add_argument("--forbidden-ks", action="append", default=None, metavar="KS", help="KS answered with 403 (repeatable; default: forbidden-ks)")
    p.add_argument("--token-ttl", type=float, default=24 * 3600.0, metavar="S", help="session token lifetime (default 24 h)")
    p.add_argument("--public-url", default=None, metavar="URL", help="origin put into whepUrl (default: the request's own origin)")
    p.add_argument("--turn", action="store_true", help="run a local coturn (turnserver, port 80 UDP+TCP) and return its credentials in init-client")
    p.add_argument("--turn-host", default="127.0.0.1", metavar="HOST", help="bare TURN host returned by init-client (default 127.0.0.1)")
    p.add_argument("--turn-port", type=int, default=80, metavar="PORT", help="coturn port with --turn (default 80: clients only try 80 and 443)")
    p.add_argument("--upstream-url", default=None, metavar="URL", help="Control API base for /api/create-avatar-session (env KALTURA_AVATAR_UPSTREAM_URL; default: this emulator); needs the backend's KS in env KALTURA_AVATAR_BACKEND_KS")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN", help="an origin (https://app.example) whose pages may use /api/create-avatar-session and the test controls, besides loopback ones (repeatable)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME", help="a Host name to answer besides loopback names and --host, e.g. this machine's name on the network (repeatable)")
    p.add_argument("--max-audio-seconds", type=float, default=600.0, metavar="S", help="longest say-audio clip (default 600)")
    p.add_argument("--max-turn-chars", type=int, default=10_000, metavar="N", help="most text in one say-text turn, all its chunks together (default 10000)")
    p.add_argument("--max-queue-seconds", type=float, default=600.0, metavar="S", help="speech a session may have waiting to play before say-text/say-audio answer 429 (default 600)")
    p.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    s = Settings(
        host=args.host,
        port=args.port,
        root=(args.root or default_root()).resolve(),
        mounts=dict(args.mount),
        pages=args.pages,
        test_controls=args.test_controls,
        idle_timeout=args.idle_timeout,
        max_sessions=args.max_sessions,
        viewer_connect_timeout=args.viewer_connect_timeout,
        accepted_ks=list(args.ks),
        token_ttl=args.token_ttl,
        public_url=args.public_url,
        turn=args.turn,
        turn_host=args.turn_host,
        turn_port=args.turn_port,
        upstream_url=args.upstream_url or os.environ.get("KALTURA_AVATAR_UPSTREAM_URL") or None,
        allow_origins=list(args.allow_origin),
        allow_hosts=list(args.allow_host),
        max_audio_seconds=args.max_audio_seconds,
        max_turn_chars=args.max_turn_chars,
        max_queue_seconds=args.max_queue_seconds,
    )
    if args.forbidden_ks is not None:
        s.forbidden_ks = list(args.forbidden_ks)
    if os.environ.get("KALTURA_AVATAR_BACKEND_KS"):
        s.upstream_ks = os.environ["KALTURA_AVATAR_BACKEND_KS"]
    return s


async def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; print the ready line once bound."""
    find_espeak()  # no TTS engine is a startup error, not silent audio
    app = build_app(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()  # starts coturn with --turn: from here on, cleanup must run whatever fails
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if not is_loopback_host(settings.host):
            print(exposure_warning(settings), file=sys.stderr, flush=True)
        print(f"Serving on http://{host}:{port}/", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def exposure_warning(s: Settings) -> str:
    routes = ["the demo", "the Control API and WHEP (a KS or a session token is still required)",
              "/api/create-avatar-session, which creates sessions with the server's own KS"
              + (" on the upstream service" if s.upstream_url else "")]
    if s.test_controls:
        routes.append("the /__test__/ routes (reset, faults, the request log)")
    return (f"kaltura_avatar_emulator: warning: listening on {s.host}, not on loopback: other machines "
            f"that reach this address get {', '.join(routes)}. Requests must still name a loopback Host, "
            f"{s.host}, or one given with --allow-host.")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("aiortc").setLevel(logging.WARNING)
    logging.getLogger("aioice").setLevel(logging.WARNING)
    settings = settings_from_args(args)
    if settings.upstream_url and not os.environ.get("KALTURA_AVATAR_BACKEND_KS"):
        print("kaltura_avatar_emulator: --upstream-url (or KALTURA_AVATAR_UPSTREAM_URL) needs the backend's own KS "
              "in the environment variable KALTURA_AVATAR_BACKEND_KS", file=sys.stderr)
        return 2
    if settings.pages and (missing := settings.runtime_missing()):
        print(f"kaltura_avatar_emulator: --pages: {missing}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(settings))
    except (TtsUnavailable, TurnUnavailable) as exc:
        print(f"kaltura_avatar_emulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"kaltura_avatar_emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
