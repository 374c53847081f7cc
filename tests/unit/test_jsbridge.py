"""The JS facade's Python side (kaltura_avatar.jsbridge), on the host with fakes behind the ports."""

import json
import re
from pathlib import Path

from fakes import BASE, FAST, KS, FakeBlob, eventually, id3_tag, make_world, mp3_frame
from kaltura_avatar.events import EVENTS
from kaltura_avatar.jsbridge import CALLS, Bridge

FACADE = Path(__file__).resolve().parents[2] / "static" / "kaltura-avatar.js"


def bridge(world, api_key=KS, config=None):
    emitted = []
    made = Bridge(api_key, json.dumps(config or FAST), lambda name, args: emitted.append((name, json.loads(args))),
                  platform=world.platform)
    return made, emitted


def test_the_facade_knows_the_sdk_events_and_calls_only_the_table():
    js = FACADE.read_text()
    names = json.loads(re.search(r"const EVENTS = (\[.*?\]);", js).group(1))
    assert names == list(EVENTS)
    called = set(re.findall(r'this\._call(?:Sync)?\("(\w+)"', js))
    assert called == set(CALLS), "every facade call is in the table, and the table has no dead entry"


def test_a_bad_config_is_kept_as_a_failure_for_js_to_throw():
    made, _ = bridge(make_world(), config={"baseUrl": "not a url"})
    assert made.session is None
    failure = json.loads(made.failure)
    assert failure["ok"] is False and failure["error"]["code"] == "INVALID_CONFIGURATION"
    assert "baseUrl" in failure["error"]["message"] or "base_url" in failure["error"]["message"]


async def test_calls_events_and_one_error_object_for_both():
    world = make_world()
    made, emitted = bridge(world)
    assert made.failure is None
    answer = json.loads(await made.call("createSession", json.dumps([{"avatarId": "avatar-123"}])))
    assert answer == {"ok": True, "value": None}
    assert json.loads(made.call_sync("getSessionState", "[]")) == {"ok": True, "value": "READY"}
    assert json.loads(made.call_sync("getConnectionState", "[]"))["value"] == "CONNECTED"
    assert json.loads(made.call_sync("isMuted", "[]"))["value"] is False
    turn = json.loads(await made.call("sayText", json.dumps(["Hello", None, True])))["value"]
    assert turn.startswith("turn-") and world.http.of("say-text")[-1].json()["turnId"] == turn
    assert ("stateChange", ["READY"]) in emitted and ("connectionChange", ["CONNECTED"]) in emitted

    # An error: the rejection and the 'error' event carry the same id, so JS hands out one object.
    failed = json.loads(await made.call("sayText", json.dumps(["   "])))
    assert failed["ok"] is False and failed["error"]["code"] == "INVALID_CONFIGURATION"
    event = [args[0]["__avatarError__"] for name, args in emitted if name == "error"][-1]
    assert event["id"] == failed["error"]["id"] and event["message"] == failed["error"]["message"]


async def test_say_audio_takes_the_blob_in_place_of_the_first_argument():
    world = make_world()
    made, _ = bridge(world)
    await made.call("createSession", json.dumps(["avatar-123"]))
    mp3 = id3_tag() + mp3_frame() * 4
    answer = json.loads(await made.call("sayAudio", json.dumps([None, "turn-a", 1.5]), FakeBlob(mp3)))
    assert answer["ok"] is True and mp3 in world.http.of("say-audio")[-1].body


async def test_nothing_outside_the_table_is_reachable():
    made, _ = bridge(make_world())
    for name, awaited in (("_release", False), ("on", False), ("__class__", False), ("createSession", False),
                          ("getSessionId", True), ("end_session", True)):
        answer = json.loads(await made.call(name, "[]") if awaited else made.call_sync(name, "[]"))
        assert answer["ok"] is False and answer["error"]["code"] is None, name
    assert made.session.get_session_state() == "IDLE"


async def test_release_drops_the_session_and_answers_after_it_fail_cleanly():
    made, _ = bridge(make_world(), api_key=None, config={"baseUrl": BASE})
    made.release()
    answer = json.loads(made.call_sync("getSessionState", "[]"))
    assert answer["ok"] is False and "released" in answer["error"]["message"]


async def test_stats_and_captions_cross_as_plain_objects_with_camel_case_keys():
    world = make_world()
    level = {"v": 0.0}
    world.peers.level = lambda: level["v"]
    made, emitted = bridge(world)
    await made.call("createSession", json.dumps(["avatar-123", None, "avatar-container"]))
    stats = json.loads(await made.call("getStats", "[]"))["value"]
    assert stats["framesDecoded"] > 0 and stats["timeToFirstFrameMs"] > 0
    assert {"videoBitrateBps", "roundTripTimeMs", "candidateType", "jitterMs"} <= set(stats)
    await made.call("sayText", json.dumps(["Hello there.", "turn-c", True]))
    level["v"] = 0.4
    await eventually(lambda: any(name == "caption" for name, _ in emitted))
    (caption,) = [args for name, args in emitted if name == "caption"]
    assert caption == [{"turnId": "turn-c", "text": "Hello there.", "isFinal": True}]
    await made.call("endSession", "[]")
