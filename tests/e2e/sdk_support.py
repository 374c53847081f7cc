"""Shared by the SDK's browser tests (no tests here): the Python prelude run in the page.

What the prelude reads comes from the browser and the server, not from the SDK's insides: the
peer connections are the page's own (``window.peerConnections``, recorded by the harness page).

``prelude(py)`` defines, in the page's namespace:
- ``BASE``: the emulator's Control API base URL; ``FAST``: a config with quick timings.
- ``events``: every event of the sessions made by ``new_session`` as [name, value, ms].
- ``new_session(api_key, **config)``, ``names(*which)``, ``until(predicate, timeout)``,
  ``frames()`` (video frames decoded by the page's newest peer connection), ``frames_flow()``
  (waits until that count grows), ``open_peers()``
  (peer connections not closed), ``last_peer()``, ``video_dom()``,
  ``attempt(call, session)`` -> [code, state, connection],
  ``leaks()``: what the page holds that a session may leave behind: asyncio tasks still pending
  (timers, loops), open peer connections, live proxies, ``<video>`` elements.

On the test's side: ``server_routes`` (from the emulator's request log), ``gaps``,
``active_sessions`` (the emulator's sessions not ended) and ``poll(predicate, timeout_s)``.
"""

import time

PRELUDE = r'''
import asyncio, inspect, json, time
import js
from kaltura_avatar import *
from kaltura_avatar import browser

BASE = __BASE__
FAST = {"retryConfig": {"maxAttempts": 3, "initialDelayMs": 100, "maxDelayMs": 400, "backoffMultiplier": 2}}
events = []

def new_session(api_key="test-ks", **config):
    session = KalturaAvatarSession(api_key, {"baseUrl": BASE, **FAST, **config})
    for name in EVENTS:
        def record(*args, name=name):
            value = args[0] if args else None
            value = value.code.value if isinstance(value, AvatarError) else (None if value is None else str(value))
            events.append([name, value, time.time() * 1000])
        session.on(name, record)
    return session

def names(*which):
    return [[n, v] for n, v, _ in events if not which or n in which]

async def until(predicate, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)

async def frames_flow(timeout=10):
    seen = await frames()
    deadline = time.monotonic() + timeout
    while await frames() <= seen:
        if time.monotonic() > deadline:
            raise TimeoutError("no new video frames")
        await asyncio.sleep(0.05)
    return True

def last_peer():
    pcs = js.window.peerConnections
    return pcs[pcs.length - 1]

def open_peers():
    pcs = js.window.peerConnections
    return sum(1 for i in range(pcs.length) if pcs[i].connectionState != "closed")

async def frames():
    report = await last_peer().getStats()
    return next((int(s.framesDecoded) for s in report.values()
                 if s.type == "inbound-rtp" and getattr(s, "kind", None) == "video"), 0)

def video_dom():
    videos = js.document.querySelectorAll("video")
    out = []
    for i in range(videos.length):
        v = videos.item(i)
        tracks = v.srcObject.getTracks() if v.srcObject else []
        out.append({
            "parent": v.parentElement.id if v.parentElement else None,
            "autoplay": v.hasAttribute("autoplay"), "playsinline": v.hasAttribute("playsinline"),
            "width": v.style.width, "height": v.style.height, "objectFit": v.style.objectFit,
            "display": v.style.display, "muted": bool(v.muted), "paused": bool(v.paused),
            "tracks": sorted(str(t.kind) for t in tracks), "html": str(v.outerHTML),
        })
    return out

def leaks():
    mine = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if not t.done() and t is not mine]
    return {"tasks": len(tasks), "peers": open_peers(), "proxies": browser.live_proxies(),
            "videos": js.document.querySelectorAll("video").length}

async def attempt(call, session=None):
    """Run ``call`` (an awaitable, or a function returning one or not): [code, state, connection],
    the code being "no error" when it succeeds."""
    code = "no error"
    try:
        result = call() if callable(call) else call
        if inspect.isawaitable(result):
            await result
    except AvatarError as err:
        code = err.code.value
    s = session
    return [code, s.get_session_state().value if s else None, s.get_connection_state().value if s else None]
'''


def prelude(py, base: str | None = None) -> None:
    py.run(PRELUDE.replace("__BASE__", repr(base or py.emulator.api_base)))


def server_routes(emulator) -> list[str | None]:
    """The emulator's request log as route names (create, say-text, whep-post...)."""
    return [r["route"] for r in emulator.requests()]


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in zip(times, times[1:])]


def active_sessions(emulator) -> list[str]:
    """The emulator's sessions that are not ended."""
    return [s["id"] for s in emulator.sessions() if s["state"] == "active"]


def poll(predicate, timeout_s: float = 10.0) -> float:
    """Wait on the test's side until ``predicate()`` holds; return when it did (``time.time()``)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return time.time()
