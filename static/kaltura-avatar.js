// Kaltura Avatar Client SDK for JavaScript pages, backed by the Python SDK (kaltura_avatar)
// running in the page on Pyodide. The API is the JavaScript SDK's:
//
//   import { KalturaAvatarSession, SessionState, ConnectionState, AvatarError, AvatarErrorCode }
//     from './static/kaltura-avatar.js';
//   const session = new KalturaAvatarSession('your-ks', { baseUrl: 'https://.../v1/avatar-session' });
//   session.on('stateChange', (state) => console.log(state));
//   await session.createSession({ avatarId: 'avatar-123', videoContainerId: 'avatar-container' });
//   await session.sayText('Hello!');
//
// Everything loads from ./vendor/ next to this file (Pyodide, pydantic, the kaltura-avatar
// wheel): no CDN. The runtime loads once per page, on the first session or on loadRuntime(),
// and takes a few seconds; methods called meanwhile wait for it. Config errors are thrown by the
// constructor once the runtime is loaded, otherwise by the first method called. Pyodide starts
// through ./pyodide-snapshot.mjs, which restores it from a memory snapshot on later visits
// (loadRuntime({snapshot: false}) turns that off).

const PACKAGES = ["pydantic", "kaltura-avatar"];
// The SDK's event names (kaltura_avatar/events.py EVENTS; a host test keeps the two equal).
const EVENTS = ["stateChange", "connectionChange", "error", "speakingStart", "speakingEnd", "caption"];

export const SessionState = Object.freeze({
  IDLE: "IDLE", CREATING: "CREATING", READY: "READY", ENDED: "ENDED", ERROR: "ERROR",
});
export const ConnectionState = Object.freeze({
  DISCONNECTED: "DISCONNECTED", CONNECTING: "CONNECTING", CONNECTED: "CONNECTED",
  FAILED: "FAILED", CLOSED: "CLOSED",
});
export const AvatarErrorCode = Object.freeze({
  INVALID_STATE: "INVALID_STATE",
  API_REQUEST_FAILED: "API_REQUEST_FAILED",
  RTC_CONNECTION_FAILED: "RTC_CONNECTION_FAILED",
  INVALID_CONFIGURATION: "INVALID_CONFIGURATION",
  SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
  UNAUTHORIZED: "UNAUTHORIZED",
});

/** What every method rejects with and what 'error' events deliver. */
export class AvatarError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = "AvatarError";
    this.code = code;
    this.details = details;
  }
}

let runtime = null; // Promise of {pyodide, Bridge}, shared by every session of the page
let loaded = null; // the same, once resolved

/**
 * Load Pyodide and the SDK once for the page (idempotent); resolves when sessions can run.
 * @param {{snapshot?: boolean}} [options] snapshot: false boots without a memory snapshot
 * (the first call's options count).
 */
export function loadRuntime(options = {}) {
  if (!runtime) {
    runtime = (async () => {
      const { loadPyodide } = await import("./pyodide-snapshot.mjs");
      // The wheels download while Pyodide starts (or is restored).
      const pyodide = await loadPyodide({ packages: PACKAGES, snapshot: options.snapshot });
      // The Python side of the facade: kaltura_avatar/jsbridge.py (one Bridge per session).
      const jsbridge = pyodide.pyimport("kaltura_avatar.jsbridge");
      loaded = { pyodide, Bridge: jsbridge.Bridge.copy() };
      jsbridge.destroy();
      return loaded;
    })();
    runtime.catch(() => { runtime = null; }); // a failed load can be retried
  }
  return runtime;
}

function toError(info) {
  if (info.code) return new AvatarError(info.code, info.message, info.details ?? undefined);
  return new Error(info.message);
}

export class KalturaAvatarSession {
  /**
   * @param {string} [apiKey] the KS, when the SDK creates the session; omit for initSession()
   * @param {{baseUrl: string, retryConfig?: object, logLevel?: string}} [config]
   */
  constructor(apiKey, config) {
    // JS null reaches Python as jsnull, undefined as None: hand Python undefined for "absent".
    this._apiKey = apiKey ?? undefined;
    this._config = config == null ? undefined : JSON.stringify(config);
    this._handlers = new Map(EVENTS.map((name) => [name, []]));
    this._bridge = null;
    this._failure = null;
    this._pendingAttach = null;
    this._lastError = null;
    this._final = null; // {id, state, connection} once endSession() released the Python side
    if (loaded) {
      this._connect(loaded);
      if (this._failure) throw this._failure;
    }
    this._ready = loadRuntime().then((rt) => {
      if (!this._bridge && !this._failure) this._connect(rt);
      if (this._failure) throw this._failure;
      if (this._pendingAttach !== null) this._callSync("attachAvatar", [this._pendingAttach]);
    });
    this._ready.catch(() => {}); // reported by the method that awaits it
  }

  _connect(rt) {
    const bridge = rt.Bridge(this._apiKey, this._config, (name, argsJson) => this._emit(name, argsJson));
    this._apiKey = undefined; // the SDK holds the KS now: nothing keeps it in JS
    const failure = bridge.failure;
    if (failure) {
      this._failure = toError(JSON.parse(failure).error);
      bridge.destroy();
      return;
    }
    this._bridge = bridge;
  }

  // After endSession() nothing more can happen: keep the final answers, free the Python side.
  _release() {
    if (!this._bridge) return;
    this._final = { id: this.getSessionId(), state: this.getSessionState(), connection: this.getConnectionState() };
    const bridge = this._bridge;
    this._bridge = null;
    bridge.release();
    bridge.destroy();
  }

  _ended() {
    const error = new AvatarError(AvatarErrorCode.INVALID_STATE, "The session has ended", { state: this._final.state });
    this._emitError(error);
    return error;
  }

  _emit(name, argsJson) {
    const args = JSON.parse(argsJson).map((value) => {
      if (value && typeof value === "object" && value.__avatarError__) {
        const info = value.__avatarError__;
        const error = new AvatarError(info.code, info.message, info.details ?? undefined);
        this._lastError = { id: info.id, error };
        return error;
      }
      return value;
    });
    this._dispatch(name, args);
  }

  _emitError(error) {
    this._dispatch("error", [error]);
  }

  _dispatch(name, args) {
    for (const [callback, once] of [...this._handlers.get(name)]) {
      if (once) this.off(name, callback);
      try {
        callback(...args);
      } catch (error) {
        console.warn(`kaltura-avatar: a '${name}' handler threw`, error);
      }
    }
  }

  _result(json) {
    const result = JSON.parse(json);
    if (result.ok) return result.value ?? undefined;
    const info = result.error;
    // The error the 'error' event delivered and the one thrown are the same object.
    if (this._lastError && this._lastError.id === info.id) throw this._lastError.error;
    throw toError(info);
  }

  async _call(method, args, blob) {
    await this._ready;
    if (this._final) throw this._ended();
    return this._result(await this._bridge.call(method, JSON.stringify(args), blob));
  }

  _callSync(method, args) {
    if (this._final) throw this._ended();
    return this._result(this._bridge.call_sync(method, JSON.stringify(args)));
  }

  /** @param {{avatarId: string, voiceId?: string, videoContainerId?: string}} options */
  createSession(options) {
    return this._call("createSession", [options ?? null]);
  }

  /** @param {{sessionId: string, token: string}} session @param {{videoContainerId?: string}} [options] */
  initSession(session, options) {
    return this._call("initSession", [session ?? null, options ?? null]);
  }

  /** Show the avatar's video in the div with this id (now, or when the stream arrives). */
  attachAvatar(containerId) {
    if (this._final) throw this._ended();
    if (this._bridge) return this._callSync("attachAvatar", [containerId]);
    if (typeof containerId !== "string" || !document.getElementById(containerId)) {
      throw new AvatarError(AvatarErrorCode.INVALID_CONFIGURATION,
        `No element with id ${JSON.stringify(String(containerId))} in the page`);
    }
    this._pendingAttach = containerId;
    return undefined;
  }

  sayText(text, turnId, isFinal = true) {
    return this._call("sayText", [text, turnId ?? null, isFinal]);
  }

  /**
   * @param {File|Blob} audioFile MP3 at 44.1 kHz @param {string} turnId @param {number} duration seconds
   * @param {string} [text] what the audio says, for its caption (no caption without it)
   */
  sayAudio(audioFile, turnId, duration, text) {
    if (audioFile instanceof ArrayBuffer || ArrayBuffer.isView(audioFile)) {
      audioFile = new Blob([audioFile], { type: "audio/mpeg" });
    }
    const isBlob = audioFile instanceof Blob;
    return this._call("sayAudio", [isBlob ? null : audioFile ?? null, turnId ?? null, duration ?? null, text ?? null],
      isBlob ? audioFile : undefined);
  }

  interrupt() {
    return this._call("interrupt", []);
  }

  /** End the session; calling it again (or while it runs) resolves once the one teardown is over. */
  async endSession() {
    if (this._final) return;
    await this._call("endSession", []);
    this._release();
  }

  getSessionId() {
    if (this._final) return this._final.id;
    return this._bridge ? this._callSync("getSessionId", []) ?? null : null;
  }

  getSessionState() {
    if (this._final) return this._final.state;
    return this._bridge ? this._callSync("getSessionState", []) : SessionState.IDLE;
  }

  getConnectionState() {
    if (this._final) return this._final.connection;
    return this._bridge ? this._callSync("getConnectionState", []) : ConnectionState.DISCONNECTED;
  }

  /**
   * The media connection's stats now, from RTCPeerConnection.getStats(): {timeToFirstFrameMs,
   * framesPerSecond, framesDecoded, framesDropped, videoBitrateBps, audioBitrateBps, packetsLost,
   * jitterMs, roundTripTimeMs, candidateType}; null where not known (yet).
   */
  getStats() {
    return this._call("getStats", []);
  }

  /** True while the avatar plays muted because the browser refused autoplay with sound. */
  isMuted() {
    if (this._final) return false;
    return this._bridge ? this._callSync("isMuted", []) : false;
  }

  /**
   * Register a handler for 'stateChange', 'connectionChange', 'error', 'speakingStart', 'speakingEnd'
   * or 'caption' ({turnId, text, isFinal}: what the avatar is saying, as it is heard).
   */
  on(event, callback) {
    this._handlersFor(event, callback).push([callback, false]);
  }

  /** Like on(), for the next occurrence only. */
  once(event, callback) {
    this._handlersFor(event, callback).push([callback, true]);
  }

  /** Remove one handler, or every handler of the event when callback is omitted. */
  off(event, callback) {
    const list = this._handlersFor(event, callback ?? (() => {}));
    const kept = callback === undefined ? [] : list.filter(([cb]) => cb !== callback);
    this._handlers.set(event, kept);
  }

  _handlersFor(event, callback) {
    if (!this._handlers.has(event)) {
      throw new AvatarError(AvatarErrorCode.INVALID_CONFIGURATION,
        `Unknown event ${JSON.stringify(String(event))}; events are ${EVENTS.join(", ")}`);
    }
    if (typeof callback !== "function") {
      throw new AvatarError(AvatarErrorCode.INVALID_CONFIGURATION, `The '${event}' handler must be a function`);
    }
    return this._handlers.get(event);
  }
}
