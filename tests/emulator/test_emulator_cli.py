"""The command line: ready line, --help, clean shutdown, startup errors, --turn, the upstream backend flow."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from emulator_support import KS, ROOT, Api, command_lines_with, start_server
from kaltura_avatar_emulator.viewer import connect

pytestmark = pytest.mark.timeout(60)


def test_help_documents_cli_and_test_controls():
    out = subprocess.run([sys.executable, "-m", "kaltura_avatar_emulator", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30).stdout
    for word in ("--host", "--port", "--pages", "/kaltura-avatar/", "--root", "--mount", "--test-controls", "--idle-timeout", "--max-sessions",
                 "--ks", "--turn", "/__test__/faults", "drop-media", "/__test__/requests", "/__test__/reset"):
        assert word in out, word


def test_missing_espeak_is_a_clear_startup_error(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "espeak-ng not found" in proc.stderr


def test_port_in_use_fails(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "kaltura_avatar_emulator", "--port", str(port)], cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "cannot start" in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_clean_shutdown_with_a_viewer(tmp_path, http, sig):
    server = start_server(tmp_path, "--test-controls")
    try:
        api = Api(server.url, http)
        sid, token = await api.session()
        init = await api.call(sid, "init-client", token)
        viewer = await connect(http, init.body["whepUrl"])
        await viewer.wait_frames(3, 5)
        t = time.monotonic()
        server.process.send_signal(sig)
        assert await asyncio.to_thread(server.process.wait, 10) == 0
        assert time.monotonic() - t < 5
        log = server.log.read_text()
        assert f"session {sid} ended (shutdown)" in log and "Traceback" not in log
        assert token not in log and KS not in log  # secrets stay out of the log
        await viewer.close()
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_in_use_with_turn_stops_coturn(tmp_path):
    turn_port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        proc = subprocess.run([sys.executable, "-m", "kaltura_avatar_emulator", "--turn", "--turn-port", str(turn_port),
                               "--port", str(s.getsockname()[1])], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "cannot start" in proc.stderr
    assert command_lines_with(f"listening-port={turn_port}") == []  # coturn did not outlive the emulator


async def test_turn_option_runs_coturn_for_relay_only_viewers(tmp_path, http):
    port = free_port()
    server = start_server(tmp_path, "--test-controls", "--turn", "--turn-port", str(port))
    pc = None
    try:
        api = Api(server.url, http)
        sid, token = await api.session()
        turn = (await api.call(sid, "init-client", token)).body["turn"]
        assert turn["url"] == "127.0.0.1" and turn["username"] and turn["credential"]
        (coturn,) = command_lines_with(f"listening-port={port}")
        assert turn["credential"] not in coturn  # not on the command line, where any local user can read it
        pc = RTCPeerConnection(RTCConfiguration(
            iceServers=[RTCIceServer(urls=f"turn:127.0.0.1:{port}?transport=udp", username=turn["username"],
                                     credential=turn["credential"])],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY))
        pc.addTransceiver("video", direction="recvonly")
        got: list = []
        pc.on("track", got.append)
        await pc.setLocalDescription(await pc.createOffer())
        assert " typ relay" in pc.localDescription.sdp and " typ host" not in pc.localDescription.sdp
        async with http.post((await api.call(sid, "init-client", token)).body["whepUrl"], data=pc.localDescription.sdp,
                             headers={"Content-Type": "application/sdp"}) as r:
            assert r.status == 201
            answer = await r.text()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        frame = await asyncio.wait_for(got[0].recv(), 10)
        assert (frame.width, frame.height) == (512, 512)
    finally:
        if pc:
            await pc.close()
        assert server.stop() == 0
    assert command_lines_with(f"listening-port={port}") == []  # coturn gone


async def test_backend_route_with_upstream(server, tmp_path, http):
    """/api/create-avatar-session of one emulator creating sessions on another with its own KS."""
    env = {**os.environ, "KALTURA_AVATAR_UPSTREAM_URL": server.url + "/v1/avatar-session",
           "KALTURA_AVATAR_BACKEND_KS": "backend-secret-ks"}
    front = start_server(tmp_path, env=env)
    try:
        upstream = Api(server.url, http)
        await upstream.request("POST", "/__test__/reset")
        r = await Api(front.url, http).request("GET", "/api/create-avatar-session")
        assert r.status == 200 and set(r.body) == {"sessionId", "token"}
        assert "backend-secret-ks" not in str(r.body)
        assert (await upstream.call(r.body["sessionId"], "init-client", r.body["token"])).status == 200
        (create,) = [e for e in (await upstream.request("GET", "/__test__/requests")).body if e["path"].endswith("/create")]
        assert create["headers"]["Authorization"] == "<redacted>" and create["body"]["visualConfig"] == {"id": "avatar-123"}
        await upstream.request("DELETE", "/__test__/requests")
        await upstream.fault("create", count=3, status=429, headers={"Retry-After": "1"})  # the SDK tries 3 times
        r = await Api(front.url, http).request("POST", "/api/create-avatar-session", json={})
        assert r.status == 429 and r.headers["Retry-After"] == "1" and r.body["success"] is False
        assert [e["route"] for e in (await upstream.request("GET", "/__test__/requests")).body] == ["create"] * 3
    finally:
        front.stop()
    env["KALTURA_AVATAR_BACKEND_KS"] = "forbidden-ks"
    local = {k: v for k, v in env.items() if k != "KALTURA_AVATAR_UPSTREAM_URL"}
    for front_env in (env, local):  # the same answer whether the session is made upstream or here
        front = start_server(tmp_path, env=front_env)
        try:
            r = await Api(front.url, http).request("GET", "/api/create-avatar-session")
            assert r.status == 403 and r.body == {"success": False, "error": "Kaltura Session not authorized"}
        finally:
            front.stop()


def test_upstream_without_a_backend_ks_is_a_startup_error():
    env = {k: v for k, v in os.environ.items() if k != "KALTURA_AVATAR_BACKEND_KS"}
    proc = subprocess.run([sys.executable, "-m", "kaltura_avatar_emulator", "--port", "0", "--upstream-url",
                           "http://127.0.0.1:9/v1/avatar-session"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "KALTURA_AVATAR_BACKEND_KS" in proc.stderr
