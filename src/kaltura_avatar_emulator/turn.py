"""A local coturn (Debian `turnserver`) on port 80 UDP+TCP, for relay-only tests (`--turn`)."""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile

log = logging.getLogger("kaltura_avatar_emulator")

STARTUP_S = 5.0
STOP_TIMEOUT = 3.0


class TurnUnavailable(RuntimeError):
    pass


class Coturn:
    def __init__(self, host: str, username: str, credential: str, port: int = 80):
        self.host, self.username, self.credential, self.port = host, username, credential, port
        self.proc: asyncio.subprocess.Process | None = None
        self.log = tempfile.TemporaryFile()
        self.config: str | None = None

    def _write_config(self) -> str:
        """The credential goes in a private (0600) config file: a command line is readable by any local user."""
        fd, path = tempfile.mkstemp(prefix="kaltura-avatar-coturn-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(f"lt-cred-mech\nuser={self.username}:{self.credential}\nrealm=kaltura-avatar-emulator\n")
        return path

    def _remove_config(self) -> None:
        if self.config is not None:
            try:
                os.unlink(self.config)
            except FileNotFoundError:
                pass
            self.config = None

    async def start(self) -> None:
        exe = shutil.which("turnserver")
        if not exe:
            raise TurnUnavailable("--turn needs coturn's turnserver (Debian: apt-get install coturn)")
        self.config = self._write_config()
        try:
            self.proc = await asyncio.create_subprocess_exec(
                exe, "-c", self.config, f"--listening-ip={self.host}", f"--relay-ip={self.host}",
                f"--listening-port={self.port}", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
                "--min-port=49160", "--max-port=49300", "--log-file=stdout", "--simple-log",
                stdin=asyncio.subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            )
        except BaseException:
            self._remove_config()
            raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_S
        while self.proc.returncode is None and loop.time() < deadline:
            if await self._listening():
                await asyncio.sleep(0.2)  # someone else's server on the port: ours exits meanwhile
                if self.proc.returncode is not None:
                    break
                self._remove_config()  # read at startup only
                log.info("coturn listening on %s:%d (udp+tcp)", self.host, self.port)
                return
            await asyncio.sleep(0.05)
        await self.stop_process()
        self._remove_config()
        self.log.seek(0)
        err = self.log.read().decode(errors="replace")[-300:]
        raise TurnUnavailable(f"turnserver did not start on port {self.port} (below 1024 needs root): {err}")

    async def _listening(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 0.5)
        except (OSError, asyncio.TimeoutError):
            return False
        writer.close()
        return True

    async def stop(self) -> None:
        await self.stop_process()
        self._remove_config()
        self.log.close()

    async def stop_process(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
