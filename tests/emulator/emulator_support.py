"""Helpers shared by the emulator tests: start a server process, call its API."""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
KS = "test-ks"
CREATE_BODY = {"clientId": "kaltura-avatar-sdk", "visualConfig": {"id": "avatar-123"}, "voiceConfig": {"id": "voice-456"}}


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def start_server(tmp: Path, *args: str, env: dict | None = None) -> Server:
    log = tmp / f"emulator-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env=env,
    )
    line = proc.stdout.readline()
    m = re.fullmatch(r"Serving on (http://127\.0\.0\.1:\d+/)\n", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"no ready line: {line!r}\n{log.read_text()[-2000:]}")
    return Server(m.group(1).rstrip("/"), proc, log)


def command_lines_with(text: str) -> list[str]:
    """The command lines of running processes that contain `text`, read from /proc (no pgrep needed)."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmd = path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in cmd:
            found.append(cmd)
    return found


@dataclass
class Reply:
    status: int
    headers: dict
    body: object


class Api:
    def __init__(self, base: str, http: aiohttp.ClientSession):
        self.base, self.http = base, http

    async def request(self, method: str, path: str, **kw) -> Reply:
        async with self.http.request(method, self.base + path, **kw) as resp:
            raw = await resp.read()
            try:
                body = await resp.json(content_type=None) if raw else None
            except ValueError:
                body = raw
            return Reply(resp.status, dict(resp.headers), body)

    async def create(self, body: dict | None = None, ks: str = KS, path: str = "/v1/avatar-session/create") -> Reply:
        return await self.request("POST", path, json=CREATE_BODY if body is None else body,
                                  headers={"Authorization": f"KS {ks}"})

    async def session(self, body: dict | None = None) -> tuple[str, str]:
        r = await self.create(body)
        assert r.status == 200, r.body
        return r.body["sessionId"], r.body["token"]

    async def call(self, sid: str, route: str, token: str | None, json: object = None, **kw) -> Reply:
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if "data" not in kw:
            kw["json"] = {} if json is None else json
        return await self.request("POST", f"/v1/avatar-session/{sid}/{route}", headers=headers, **kw)

    async def snapshot(self, sid: str) -> dict:
        """What `GET /__test__/sessions/{sid}` shows of the session."""
        r = await self.request("GET", f"/__test__/sessions/{sid}")
        assert r.status == 200, r.body
        return r.body

    async def speech_after(self, sid: str, turns: int, timeout_s: float = 10.0) -> list[dict]:
        """The session's speech records, once the first `turns` of them have ended (or at the timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            speech = (await self.snapshot(sid))["speech"]
            if (len(speech) >= turns and speech[turns - 1]["end"]) or time.monotonic() > deadline:
                return speech
            await asyncio.sleep(0.05)

    async def fault(self, route: str, count: int = 1, **kw) -> None:
        r = await self.request("POST", "/__test__/faults", json={"route": route, "count": count, **kw})
        assert r.status == 200, r.body


def multipart_audio(data: bytes, turn_id: str = "turn-a", duration: str = "1.0", content_type: str = "audio/mpeg") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("turnId", turn_id)
    form.add_field("duration", duration)
    form.add_field("audio", data, filename="speech.mp3", content_type=content_type)
    return form
