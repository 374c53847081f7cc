"""static/kaltura-avatar.js: the seed's JavaScript API, backed by the Python SDK in the page.

The seed's two complete examples run unchanged apart from their import line. They use the live
base URL: Playwright answers those requests from the emulator (route_host), so nothing leaves
the machine and the guard accepts exactly the requests that route answered.
"""

from __future__ import annotations

import base64
import re


LIVE = "https://api.avatar.us.kaltura.ai"
BOOT_TIMEOUT_MS = 60_000


def open_facade_page(guarded_page, emulator):
    page = guarded_page.page
    page.goto(emulator.url + "/e2e/facade.html")
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    return page


def test_the_seed_examples_run_through_the_facade(guarded_page, emulator):
    guarded_page.route_host(LIVE, emulator.url)
    page = open_facade_page(guarded_page, emulator)
    logs: list[str] = []
    page.on("console", lambda m: m.type == "log" and logs.append(m.text))

    page.evaluate("() => runAvatarFEOnly()")
    first = list(logs)
    assert first[0] == "State: CREATING" and "State: READY" in first and first[-1] == "State: ENDED", first
    session_ids = [line.split(": ", 1)[1] for line in first if line.startswith("Session ID:")]
    assert len(session_ids) == 1 and re.fullmatch(r"[\w-]{6,}", session_ids[0])

    logs.clear()
    page.evaluate("() => runAvatarBECreated()")
    second = list(logs)
    assert second[0] == "State: CREATING" and "State: READY" in second and second[-1] == "State: ENDED", second
    be_session = [line.split(": ", 1)[1] for line in second if line.startswith("Session ID:")][0]
    assert be_session != session_ids[0]

    # Both ran against the emulator through the live URL, and nothing else left loopback.
    live = [u for u in guarded_page.routed]
    assert any(u == f"{LIVE}/v1/avatar-session/create" for u in live), live
    assert any(u.endswith(f"/{be_session}/init-client") for u in live)
    said = [r["body"]["text"] for r in emulator.requests() if r["path"].endswith("/say-text")]
    assert said == ["Hello from Kaltura Avatar!", "Hello from backend-created session!"]
    ended = [r["path"] for r in emulator.requests() if r["path"].endswith("/end")]
    assert ended == [f"/v1/avatar-session/{session_ids[0]}/end", f"/v1/avatar-session/{be_session}/end"]
    assert page.locator("#avatar-container video").count() == 0
    # Two sessions, one runtime: Pyodide was fetched once for the page.
    assert sum(u.endswith("/pyodide.asm.wasm") for u in guarded_page.requests) == 1


def test_facade_shape_errors_and_events(guarded_page, emulator):
    page = open_facade_page(guarded_page, emulator)
    guarded_page.allow_console_error(r"status of 401")
    result = page.evaluate(
        """async (baseUrl) => {
          const { KalturaAvatarSession, SessionState, ConnectionState, AvatarError, AvatarErrorCode, loadRuntime } = window.avatarSdk;
          const out = {};
          // Before the runtime is loaded: getters answer at once, config errors wait for a call.
          const early = new KalturaAvatarSession('ks', { baseUrl: 'not a url' });
          out.early = [early.getSessionState(), early.getConnectionState(), early.getSessionId()];
          try { await early.createSession({ avatarId: 'avatar-123' }); } catch (e) { out.earlyError = [e instanceof AvatarError, e.code]; }
          await loadRuntime();
          // Loaded: the constructor throws like the seed's.
          try { new KalturaAvatarSession('ks', { baseUrl: 'not a url' }); out.sync = 'no throw'; }
          catch (e) { out.sync = [e instanceof AvatarError, e instanceof Error, e.name, e.code, typeof e.message]; }
          out.enums = [SessionState.READY, ConnectionState.CLOSED, AvatarErrorCode.UNAUTHORIZED, Object.isFrozen(SessionState)];
          // The 'error' event and the rejection carry the same AvatarError.
          const session = new KalturaAvatarSession(undefined, { baseUrl });
          const events = [];
          session.on('error', (e) => events.push(e));
          session.on('stateChange', (s) => events.push(s));
          try { await session.sayText('too early'); } catch (e) { out.state = [e.code, e === events[0], e instanceof AvatarError]; }
          try { session.on('nope', () => {}); } catch (e) { out.badEvent = e.code; }
          // A refused token: UNAUTHORIZED with details, state ERROR.
          const { sessionId } = await fetch('/api/create-avatar-session').then((r) => r.json());
          try { await session.initSession({ sessionId, token: 'not-its-token' }, { videoContainerId: 'avatar-container' }); }
          catch (e) { out.unauthorized = [e.code, e === events[events.length - 1], typeof e.details]; }
          out.after = [session.getSessionState(), session.getConnectionState()];
          out.events = events.map((e) => (e instanceof AvatarError ? `error:${e.code}` : e));
          return out;
        }""",
        emulator.api_base,
    )
    assert result["early"] == ["IDLE", "DISCONNECTED", None]
    assert result["earlyError"] == [True, "INVALID_CONFIGURATION"]
    assert result["sync"] == [True, True, "AvatarError", "INVALID_CONFIGURATION", "string"]
    assert result["enums"] == ["READY", "CLOSED", "UNAUTHORIZED", True]
    assert result["state"] == ["INVALID_STATE", True, True]
    assert result["badEvent"] == "INVALID_CONFIGURATION"
    assert result["unauthorized"] == ["UNAUTHORIZED", True, "object"]
    assert result["after"][0] == "ERROR"
    assert result["events"][0] == "error:INVALID_STATE"
    assert "CREATING" in result["events"]


def test_facade_media_methods(guarded_page, emulator, make_mp3):
    """attachAvatar before the stream, sayAudio with a Blob, interrupt, once/off, endSession."""
    page = open_facade_page(guarded_page, emulator)
    mp3 = base64.b64encode(make_mp3(1.0)).decode()
    result = page.evaluate(
        """async ([baseUrl, mp3]) => {
          const { KalturaAvatarSession } = window.avatarSdk;
          const session = new KalturaAvatarSession('your-kaltura-session', { baseUrl });
          const seen = [];
          const counted = () => seen.push('counted');
          session.on('connectionChange', counted);
          session.once('stateChange', (s) => seen.push(`once:${s}`));
          session.on('speakingStart', () => seen.push('speakingStart'));
          session.attachAvatar('avatar-container');            // before the stream exists
          await session.createSession({ avatarId: 'avatar-123', voiceId: 'voice-456' });
          session.off('connectionChange', counted);
          const videos = document.querySelectorAll('#avatar-container video').length;
          const bytes = Uint8Array.from(atob(mp3), (c) => c.charCodeAt(0));
          const blob = new Blob([bytes], { type: 'audio/mpeg' });
          await session.sayAudio(blob, `turn-${Date.now()}`, 1.0);
          await new Promise((resolve) => session.once('speakingStart', resolve));
          await session.interrupt();
          await session.endSession();
          let afterEnd = null;
          session.on('error', (e) => seen.push(`error:${e.code}`));
          try { await session.sayText('too late'); } catch (e) { afterEnd = e.code; }
          return { seen, videos, state: session.getSessionState(), conn: session.getConnectionState(),
                   id: session.getSessionId(), afterEnd, left: document.querySelectorAll('video').length };
        }""",
        [emulator.api_base, mp3],
    )
    assert result["videos"] == 1 and result["left"] == 0
    assert result["state"] == "ENDED" and result["conn"] == "CLOSED" and result["id"]
    assert result["afterEnd"] == "INVALID_STATE" and result["seen"][-1] == "error:INVALID_STATE"
    assert result["seen"][0] == "once:CREATING"
    assert result["seen"].count("counted") == 2  # CONNECTING, CONNECTED; none after off()
    assert "speakingStart" in result["seen"]
    uploads = [r for r in emulator.requests() if r["path"].endswith("/say-audio")]
    assert len(uploads) == 1 and float(uploads[0]["body"]["duration"]) == 1.0
    assert [r for r in emulator.requests() if r["path"].endswith("/interrupt")]
