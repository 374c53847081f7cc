"""The demo page's Python (runs in the browser on Pyodide, through PyScript).

It wires the page to `kaltura_avatar.KalturaAvatarSession`: connect (the SDK creates the session
with a KS, or "my backend" creates it and the page calls `init_session`), speak text (optionally
streamed like an LLM), speak an MP3, interrupt, end. The badges, the step a connection is on (over
the video and on the Connect button), the captions, the live stats line, the event log and the
error banner follow the SDK's events. The helpers live in static/demo/, one module per concern.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time

import pyodide_js
from js import Object, URLSearchParams, document, fetch, location
from pyodide.ffi import to_js
from pyscript import when

import kaltura_avatar
from kaltura_avatar import (AvatarError, AvatarErrorCode, ConnectionState, KalturaAvatarSession, SessionState,
                            new_turn_id)
from kaltura_avatar.messages import is_local

from demo import audio, backend, catalog, settings, streaming, ui, words
from demo.ui import el

VIDEO_CONTAINER = "avatar-video"
ACTIVE = (SessionState.CREATING, SessionState.READY)
STATS_EVERY_S = 1.0
TICK_S = 0.1
# What a successful action proves is fixed: the banner shown for one of these causes goes.
CLEARS = {"connect": ("connect", "session", "media", "ks"), "say": ("say", "session"),
          "audio": ("audio", "session"), "interrupt": ("interrupt", "session")}


async def page_settings() -> settings.PageSettings:
    """static/config.json (optional), then the query string, over the defaults."""
    config: dict = {}
    try:
        # js.fetch, not pyodide.http: that import can wait until the page is on screen
        response = await fetch("./static/config.json", to_js({"cache": "no-store"}, dict_converter=Object.fromEntries))
        if response.ok:
            config = (await response.json()).to_py()
    except Exception:  # a deployment without config.json still works
        config = {}
    params = URLSearchParams.new(location.search)
    query = {key: params.get(key) for key in settings.QUERY_KEYS if params.has(key)}
    return settings.resolve(config if isinstance(config, dict) else {}, query, location.origin)


async def load_models() -> None:
    """pydantic and the SDK's models, which a session's config needs. pyscript.toml lists only
    kaltura-avatar, so the page is usable before these load (about 0.3 s sooner); Connect waits
    for them when pressed sooner."""
    await pyodide_js.loadPackage("pydantic")  # reports a failed download itself, on the console
    importlib.import_module("kaltura_avatar.config")


class FormProblem(Exception):
    """Something the user must fill in first; the banner shows it until `cause` is fixed."""

    code = "INVALID_CONFIGURATION"

    def __init__(self, message: str, cause: str):
        super().__init__(message)
        self.cause = cause


class LoadProblem(FormProblem):
    """Python packages the session needs did not load; Connect tries again."""

    code = "PACKAGE_LOAD_FAILED"


class Demo:
    def __init__(self, page: settings.PageSettings):
        self.page = page
        self.session: KalturaAvatarSession | None = None
        self.log = ui.EventLog()
        self.banner = ui.ErrorBanner()
        self.busy: set[str] = set()
        self.speaking = False
        self.pending_speech = False  # a turn was sent and has not finished (or been interrupted)
        self.streaming = False
        self.stop_stream = False
        self.audio_file = None
        self.audio_duration: float | None = None
        self.audio_pick = 0  # which file choice the check under way is for
        self.text_cut: str | None = None  # the note saying the text box cut a paste
        self.reported: set[int] = set()  # ids of AvatarErrors already shown through the 'error' event
        self.step: str | None = None  # the step a connection is on (words.STEPS), shown over the video
        self.step_since = 0.0
        self.ticker: asyncio.Future | None = None
        self.cancelled = False  # the user ended the session while it was starting
        # What a session needs; it runs from main()'s first wait on, once the page is on screen.
        self.models = self.start_models()

    # --- wiring -------------------------------------------------------------------------

    def start(self) -> None:
        el("base-url").value = self.page.base_url
        el("ks").value = self.page.ks
        el("session-endpoint").value = self.page.session_endpoint
        el(f"mode-{self.page.mode}").checked = True
        self.show_mode()
        for form, name, run in (("#connect-form", "connect", self.connect), ("#speak-form", "say", self.say),
                                ("#audio-form", "audio", self.say_audio)):
            when("submit", form)(self.submitted(name, run))
        when("click", "#interrupt-button")(self.acting("interrupt", self.interrupt))
        when("click", "#end-button")(self.acting("end", self.end))
        when("change", "#audio-file")(self.measure_audio)
        when("change", "#mode-sdk, #mode-backend")(self.show_mode)
        when("change", "#base-url, #ks")(self.load_catalog)
        when("input", "#base-url")(self.show_ks_hint)
        when("input", "#ks")(lambda: self.banner.clear("ks"))
        when("input", "#speak-text")(self.text_changed)
        when("change", "#captions-toggle")(self.show_captions)
        when("click", "#error-dismiss")(self.banner.hide)
        when("click", "#clear-log")(self.log.clear)
        when("keydown", "#speak-text")(self.speak_shortcut)
        for key in self.page.ignored:
            self.log.add("settings", f"Ignored ?{key}= in the address: a link may point this page only at this "
                         "machine or the page's own server. To use another server, type its URL in Connect.", "warn")
        self.show_ks_hint()
        self.text_changed()

    def acting(self, name: str, run):
        """An event handler that runs one user action."""

        async def handler() -> None:
            await self.action(name, run)

        return handler

    def submitted(self, name: str, run):
        """A form's submit handler: no page reload, then the action."""

        def handler(event) -> None:
            event.preventDefault()
            asyncio.ensure_future(self.action(name, run))

        return handler

    def speak_shortcut(self, evt) -> None:
        """Ctrl/Cmd+Enter in the text box says it."""
        if evt.key == "Enter" and (evt.ctrlKey or evt.metaKey):
            evt.preventDefault()
            if not el("say-button").disabled:
                el("speak-form").requestSubmit()

    def mode(self) -> str:
        return "backend" if el("mode-backend").checked else "sdk"

    def show_mode(self) -> None:
        el("sdk-fields").hidden = self.mode() != "sdk"
        el("backend-fields").hidden = self.mode() != "backend"

    def show_ks_hint(self) -> None:
        """Say, where the KS is typed, that the local emulator takes any KS."""
        ui.show("ks-hint", is_local(el("base-url").value.strip()))

    def show_captions(self) -> None:
        el("video-frame").dataset.captions = "on" if el("captions-toggle").checked else "off"

    def text_changed(self) -> None:
        """Keep the text within words.TEXT_LIMIT, and say so when a paste was cut."""
        box = el("speak-text")
        text, cut = words.fit(box.value)
        if cut:
            box.value = text
            self.text_cut = cut
        elif len(text) < words.TEXT_LIMIT:
            self.text_cut = None
        ui.set_text("text-note", words.text_note(text, self.text_cut))
        self.refresh()

    async def load_catalog(self) -> None:
        form = el("connect-form")
        form.dataset.catalog = "loading"
        ui.set_text("catalog-status", "Reading the catalog…")
        url = settings.catalog_url(el("base-url").value.strip())
        avatars, voices, problem = await catalog.load(url, el("ks").value.strip())
        ui.fill_select("avatar-select", avatars, "avatar-123")
        ui.fill_select("voice-select", voices, "voice-456")
        if problem:
            ui.set_text("catalog-status", f"Catalog unavailable ({problem}): default ids.")
        else:
            ui.set_text("catalog-status", f"{len(avatars)} avatars and {len(voices)} voices from the catalog.")
        form.dataset.catalog = "defaults" if problem else "loaded"

    # --- actions ------------------------------------------------------------------------

    async def action(self, name: str, run) -> None:
        """Run one user action: buttons follow it, failures go to the banner and the log, and
        success clears the banner of a problem it proves fixed."""
        if name in self.busy:
            return
        self.busy.add(name)
        self.refresh()
        try:
            await run()
        except AvatarError as exc:
            if not self.is_cancel(exc):
                self.report(exc.code.value, exc.message, name, id(exc))
        except (backend.BackendError, audio.AudioFileError) as exc:
            self.report(exc.code, str(exc), name)
        except FormProblem as exc:
            self.report(exc.code, str(exc), exc.cause)
        except Exception as exc:  # a bug in the demo: still shown, never swallowed
            self.report("DEMO_ERROR", f"The demo failed ({type(exc).__name__}: {exc}). Reload the page.", name)
        else:
            self.banner.clear(*CLEARS.get(name, (name,)))
        finally:
            self.busy.discard(name)
            self.refresh()

    def report(self, code: str, message: str, cause: str, error_id: int | None = None) -> None:
        self.banner.show(code, message, cause)
        if error_id is None or error_id not in self.reported:
            self.log.add("error", f"{code}: {message}", "error")

    def is_cancel(self, error: AvatarError) -> bool:
        """The INVALID_STATE of a start the user cancelled: their own doing, not a failure."""
        return self.cancelled and error.code is AvatarErrorCode.INVALID_STATE

    def state(self) -> SessionState:
        return self.session.get_session_state() if self.session else SessionState.IDLE

    def adopt(self, session: KalturaAvatarSession) -> None:
        """Make `session` the page's session and follow its events."""
        self.session = session

        def mine(handler):
            return lambda *args: handler(*args) if session is self.session else None

        session.on("stateChange", mine(self.on_state))
        session.on("connectionChange", mine(self.on_connection))
        session.on("error", mine(self.on_error))
        session.on("speakingStart", mine(self.on_speaking_start))
        session.on("speakingEnd", mine(self.on_speaking_end))

    async def connect(self) -> None:
        self.banner.hide()
        await self.end_previous()
        config = {"baseUrl": el("base-url").value.strip(), "logLevel": self.page.log_level}
        avatar_id = el("avatar-select").value or "avatar-123"
        voice_id = el("voice-select").value or None
        ks = el("ks").value.strip()
        if self.mode() == "sdk" and not ks:
            el("ks").focus()
            raise FormProblem("Enter a Kaltura Session (KS) to connect, or choose “My backend”.", "ks")
        self.reset_speech()
        self.cancelled = False
        try:
            await self.models_loaded()
            if self.mode() == "sdk":
                session = KalturaAvatarSession(ks, config)
                self.adopt(session)
                self.log.add("createSession", f"avatar {avatar_id}, voice {voice_id or 'default'}")
                await session.create_session(
                    avatar_id=avatar_id, voice_id=voice_id, video_container_id=VIDEO_CONTAINER
                )
            else:
                endpoint = el("session-endpoint").value.strip()
                self.set_step("backend")
                self.log.add("backend", f"asking {endpoint} for a session")
                session_id, token = await backend.create_session(endpoint, avatar_id, voice_id)
                session = KalturaAvatarSession(None, config)
                self.adopt(session)
                self.log.add("initSession", f"session {session_id}")
                await session.init_session(
                    session_id=session_id, token=token, video_container_id=VIDEO_CONTAINER
                )
        finally:
            if self.state() is not SessionState.CREATING:
                self.set_step(None)
        self.log.add("ready", f"session {session.get_session_id()}")
        if session.is_muted():  # the browser blocked autoplay with sound (the SDK unmutes later)
            self.log.add("autoplay", "sound is off until you click or press a key in the page", "warn")
        asyncio.ensure_future(self.show_stats(session))

    def start_models(self) -> asyncio.Future:
        """Start load_models(). Its failure is logged when it happens: this callback also keeps
        Pyodide's loop from reporting it as unhandled when nothing awaits the load yet."""
        task = asyncio.ensure_future(load_models())
        task.add_done_callback(self.models_done)
        return task

    def models_done(self, task: asyncio.Future) -> None:
        if task.exception():
            self.log.add("packages", f"not loaded: {task.exception()!r} (Connect tries again)", "warn")

    async def models_loaded(self) -> None:
        """Wait for load_models() (started at boot); after a failed load, load again."""
        if self.models.done() and self.models.exception():
            self.models = self.start_models()
        if not self.models.done():
            self.set_step("loading")
        try:
            await asyncio.shield(self.models)
        except Exception as exc:
            # a JS error from loadPackage has a .name too ("TypeError"): only a missing module names one
            what = exc.name if isinstance(exc, ModuleNotFoundError) and exc.name else "the Python packages"
            raise LoadProblem(f"The page could not load {what}, which a session needs. Check that this "
                              "page's server is running, then press Connect again.", "connect") from exc

    async def end_previous(self) -> None:
        old = self.session
        if old is not None and old.get_session_state() not in (SessionState.IDLE, SessionState.ENDED):
            try:
                await old.end_session()
            except AvatarError:
                pass  # already reported through its 'error' event

    async def say(self) -> None:
        text = el("speak-text").value
        if el("stream-mode").checked:
            await self.stream(text)
            return
        self.log.add("sayText", text)
        await self.session.say_text(text)
        self.pending_speech = True

    async def stream(self, text: str) -> None:
        parts = streaming.chunks(text)
        if not parts:
            await self.session.say_text(text)  # the SDK says what is wrong with it
            return
        turn_id = new_turn_id()
        self.streaming, self.stop_stream = True, False
        self.log.add("stream", f"{len(parts)} chunks, turn {turn_id}")
        try:
            for index, part in enumerate(parts):
                if self.stop_stream or self.session.get_session_state() != SessionState.READY:
                    self.log.add("stream", f"stopped after {index} of {len(parts)} chunks")
                    return
                final = index == len(parts) - 1
                await self.session.say_text(part, turn_id, final)
                self.pending_speech = True
                self.log.add("chunk", f"{index + 1}/{len(parts)}{' final' if final else ''}: {part}")
                if not final:
                    await asyncio.sleep(streaming.CHUNK_DELAY_S)
        finally:
            self.streaming = False

    async def measure_audio(self) -> None:
        """Check a picked file at once: an MP3 at 44.1 kHz gets its duration and "Speak file";
        anything else is refused here, saying why."""
        self.audio_pick += 1
        pick = self.audio_pick
        files = el("audio-file").files
        self.audio_file, self.audio_duration = None, None
        status = el("audio-status")
        status.dataset.state = ""
        ui.set_text("audio-status", "Checking…" if files.length else "")
        self.refresh()
        if not files.length:
            return
        file = files.item(0)
        try:
            seconds = await audio.inspect(file)
        except audio.AudioFileError as exc:
            if pick == self.audio_pick:
                status.dataset.state = "error"
                ui.set_text("audio-status", str(exc))
                self.log.add("audio", f"{file.name} refused: {exc}", "warn")
            return
        if pick != self.audio_pick:
            return  # another file was picked meanwhile
        self.audio_file, self.audio_duration = file, seconds
        ui.set_text("audio-status", f"{seconds:.2f} s")
        self.banner.clear("audio")
        self.refresh()

    async def say_audio(self) -> None:
        turn_id = new_turn_id()
        self.log.add("sayAudio", f"{self.audio_file.name}, {self.audio_duration:.2f} s")
        await self.session.say_audio(self.audio_file, turn_id, self.audio_duration)
        self.pending_speech = True

    async def interrupt(self) -> None:
        self.stop_stream = True
        self.log.add("interrupt")
        await self.session.interrupt()
        self.pending_speech = False

    async def end(self) -> None:
        self.stop_stream = True
        self.cancelled = self.state() is SessionState.CREATING
        self.log.add("cancel" if self.cancelled else "endSession")
        await self.session.end_session()
        if self.cancelled:
            self.log.add("cancelled", "the session was ended before it was ready")

    def reset_speech(self) -> None:
        self.speaking = self.pending_speech = False
        ui.speaking(False)

    # --- what the page shows while it waits ---------------------------------------------

    def set_step(self, step: str | None) -> None:
        """Show the step a connection is on over the video, with the time it has taken; at the
        first step, bring the video into view (on a phone it moves above the Connect form)."""
        first = step is not None and self.step is None
        if first:
            self.step_since = time.monotonic()
        self.step = step
        ui.progress(step, time.monotonic() - self.step_since)
        if step is not None and self.ticker is None:
            self.ticker = asyncio.ensure_future(self.tick())
        self.refresh()
        if first:
            el("video-frame").scrollIntoView(to_js({"block": "nearest"}, dict_converter=Object.fromEntries))

    async def tick(self) -> None:
        try:
            while self.step is not None:
                ui.progress(self.step, time.monotonic() - self.step_since)
                await asyncio.sleep(TICK_S)
        finally:
            self.ticker = None

    async def show_stats(self, session: KalturaAvatarSession) -> None:
        """The live stats line under the video, while `session` is the page's and READY
        (`refresh` hides it otherwise)."""
        ui.set_text("stats-line", "Measuring…")
        while session is self.session and session.get_session_state() == SessionState.READY:
            ui.set_text("stats-line", words.stats_line(await session.get_stats()) or "Measuring…")
            await asyncio.sleep(STATS_EVERY_S)

    # --- the SDK's events ---------------------------------------------------------------

    def on_state(self, state) -> None:
        ui.badge("state-badge", "state-value", str(state))
        self.log.add("stateChange", str(state))
        if state == SessionState.CREATING:
            self.set_step("creating" if self.mode() == "sdk" else "starting")
        elif self.step is not None:
            self.set_step(None)
        if state in (SessionState.ENDED, SessionState.ERROR):
            self.stop_stream = True
            self.reset_speech()
        self.refresh()

    def on_connection(self, state) -> None:
        ui.badge("connection-badge", "connection-value", str(state))
        self.log.add("connectionChange", str(state))
        ready = self.state() == SessionState.READY
        if ready and state in (ConnectionState.DISCONNECTED, ConnectionState.CONNECTING):
            self.set_step("reconnecting")  # media lost: the SDK is getting it back
        elif state == ConnectionState.CONNECTING:
            self.set_step("connecting")
        elif ready:  # connected again, or failed for good
            self.set_step(None)
            if state == ConnectionState.CONNECTED:
                self.banner.clear("media")
        self.refresh()

    def on_error(self, error) -> None:
        self.reported.add(id(error))
        if self.is_cancel(error):
            return
        state = self.state()
        if state == SessionState.CREATING:
            cause = "connect"
        elif error.code is AvatarErrorCode.RTC_CONNECTION_FAILED:
            cause = "media"
        else:
            cause = "session"
        self.banner.show(error.code.value, error.message, cause)
        self.log.add("error", f"{error.code.value}: {error.message}", "error")

    def on_speaking_start(self) -> None:
        self.speaking, self.pending_speech = True, False
        ui.speaking(True)
        self.log.add("speakingStart")
        self.refresh()

    def on_speaking_end(self) -> None:
        self.speaking = False
        ui.speaking(False)
        self.log.add("speakingEnd")
        self.refresh()

    # --- what can be clicked now --------------------------------------------------------

    def refresh(self) -> None:
        state = self.state()
        ready = state == SessionState.READY
        connecting = "connect" in self.busy
        locked = state in ACTIVE or connecting
        ui.enable("connect-button", not locked)
        ui.set_text("connect-button", words.connect_label(str(state), self.step if connecting else None))
        el("connect-button").setAttribute("aria-busy", "true" if connecting else "false")
        el("connect-fields").disabled = locked
        ui.show("connect-hint", state in ACTIVE)
        ui.set_text("connect-hint", words.locked_hint(str(state)))
        ui.show("stats-line", ready)
        blank = not el("speak-text").value.strip()
        ui.enable("say-button", ready and not blank and not self.streaming and "say" not in self.busy)
        ui.enable("audio-button", ready and self.audio_file is not None and "audio" not in self.busy)
        ui.enable("interrupt-button", ready and (self.speaking or self.pending_speech or self.streaming))
        ui.enable("end-button", state in (*ACTIVE, SessionState.ERROR) and "end" not in self.busy)
        ui.set_text("end-button", words.end_label(str(state)))
        has_video = bool(el(VIDEO_CONTAINER).querySelector("video"))  # JS null is falsy, not None
        el("video-placeholder").hidden = has_video or self.step is not None
        ui.set_text("video-placeholder", words.placeholder(str(state), self.cancelled))
        session_id = self.session.get_session_id() if self.session and state in ACTIVE else None
        ui.set_text("session-id", session_id or "none")
        if self.session is None or state == SessionState.IDLE:
            ui.badge("connection-badge", "connection-value", str(ConnectionState.DISCONNECTED))
        document.body.dataset.sessionState = str(state)
        document.body.dataset.connecting = "true" if connecting else "false"


async def main() -> None:
    ui.set_text("sdk-version", kaltura_avatar.__version__)
    ui.set_text("python-version", sys.version.split()[0])
    demo = Demo(await page_settings())
    demo.start()
    el("boot").remove()
    el("app").hidden = False
    document.body.dataset.ready = "true"
    await demo.load_catalog()
    # This script ends once the models are in (or failed, which Connect reports), so that PyScript's
    # py:all-done (when the memory snapshot lists the modules the page imported) comes after them.
    await asyncio.wait([demo.models])


await main()  # noqa: F704 (PyScript runs the page's script with top-level await)
