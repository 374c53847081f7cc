"""TURN: an unreachable TURN server never delays the connection; relay-only works through coturn."""

import json
import shutil

import pytest

from sdk_support import prelude

ICE_INFO = """
    async def ice_info(session):
        pc = last_peer()
        report = await pc.getStats()
        stats = {s.id: s for s in report.values()}
        transport = next(s for s in stats.values() if s.type == "transport")
        pair = stats[transport.selectedCandidatePairId]
        servers = pc.getConfiguration().iceServers
        return {"local": stats[pair.localCandidateId].candidateType,
                "policy": pc.getConfiguration().iceTransportPolicy,
                "urls": [list(servers[i].urls) for i in range(servers.length)]}
"""


def test_an_unreachable_turn_server_does_not_delay_the_connection(py):
    def blackhole_turn(route):
        response = route.fetch()
        data = response.json()
        data["turn"] = {"url": "192.0.2.1", "username": "u", "credential": "c"}  # TEST-NET-1: nothing answers
        route.fulfill(response=response, body=json.dumps(data))

    py.page.route("**/v1/avatar-session/*/init-client", blackhole_turn)
    prelude(py)
    py.run(ICE_INFO)
    took, info = py.run("""
        session = new_session()
        started = time.monotonic()
        await session.create_session("avatar-123", None, "avatar-container")
        took = time.monotonic() - started
        info = await ice_info(session)
        await session.end_session()
        [took, info]
    """)
    print(f"connected in {took * 1000:.0f} ms with an unreachable TURN server")
    assert took < 3.0
    assert info["urls"] == [["turn:192.0.2.1:80?transport=udp", "turn:192.0.2.1:443?transport=udp",
                             "turn:192.0.2.1:80?transport=tcp", "turns:192.0.2.1:443?transport=tcp"]]
    assert info["local"] in ("host", "prflx")  # a direct path; the TURN server never answered


@pytest.fixture(scope="module")
def relay_emulator(start_another_emulator):
    """A second emulator that runs coturn on 127.0.0.1:80 and hands out its credentials."""
    assert shutil.which("turnserver"), "coturn is part of the test setup (scripts/system-deps.sh)"
    return start_another_emulator("--turn")


def test_relay_only_through_a_local_coturn(py, relay_emulator):
    prelude(py, relay_emulator.api_base)  # cross-origin: the page is served by the other emulator
    py.run(ICE_INFO)
    took, info, frames_seen = py.run("""
        session = new_session(iceTransportPolicy="relay")
        started = time.monotonic()
        await session.create_session("avatar-123", None, "avatar-container")
        took = time.monotonic() - started
        result = [took, await ice_info(session), await frames_flow()]  # and frames go on coming
        await session.end_session()
        result
    """)
    print(f"relay-only connected in {took * 1000:.0f} ms")
    assert info["policy"] == "relay" and info["local"] == "relay"
    assert info["urls"][0][0] == "turn:127.0.0.1:80?transport=udp"
    assert frames_seen is True and took < 5.0
    assert [s["state"] for s in relay_emulator.sessions()] == ["ended"]
