// Pyodide's loadPyodide, plus a memory snapshot kept in the browser: a later visit restores an
// interpreter that has already started and imported its standard-library modules, instead of
// starting one from scratch (about 0.6 s instead of 1.2 s on a 2-core machine).
//
//   import { loadPyodide } from "./pyodide-snapshot.mjs";   // what the facade does
//   interpreter = "./static/pyodide-snapshot.mjs"            # what a PyScript config says
//
// - Pyodide comes from ./vendor/pyodide/ next to this file, whatever indexURL the caller passes.
// - First visit: a normal boot; once the page has started (PyScript's py:all-done, else 5 s after
//   Python came up) and is idle, a worker starts a fresh interpreter (no page code ever runs
//   there, so no secret can be in it), imports the standard-library modules the page has
//   imported by then, and stores the snapshot in Cache Storage under a key made of Pyodide's build
//   id and the hashes of the lock file and of the SDK wheel (vendor/pyodide/snapshot-key.json,
//   written by scripts/build_vendor.py), so any upgrade invalidates it.
// - Later visits: the snapshot is restored, the wheels load meanwhile, `random` is reseeded, and
//   the console says so once. Any failure to make, read or restore it falls back to a normal
//   boot and discards it. No Cache Storage (a non-secure context): a normal boot.
// - Off: loadPyodide({snapshot: false}), or <html data-pyodide-snapshot="off"> in the page.

import { loadPyodide as loadPyodideFresh, version } from "./vendor/pyodide/pyodide.mjs";

export { version };

const PYODIDE_URL = new URL("./vendor/pyodide/", import.meta.url).href;
const CACHE_NAME = "pyodide-snapshot";
const WORKER_NAME = "pyodide-snapshot-maker";
const MAKE_TIMEOUT_MS = 120_000;
const MAKE_TRIES = 4; // workers started again when the page's modules do not all fit
const STARTED_AFTER_MS = 5_000; // a page that is not PyScript's
const PREFIX = "[pyodide-snapshot]";

// The standard-library modules the live interpreter has imported, in the order it imported them
// (not site-packages, whose files a snapshot cannot keep, nor native extensions loaded from
// packages). When they do not all fit, the snapshot keeps the first ones.
const STDLIB_MODULES = `
import json, os, sys
stdlib = os.path.dirname(os.__file__) + "/"
json.dumps([
    name for name, module in list(sys.modules.items())
    if name != "__main__" and (
        (getattr(module, "__file__", None) is None and name in sys.builtin_module_names)
        or (isinstance(getattr(module, "__file__", None), str) and module.__file__.startswith(stdlib)
            and "/site-packages/" not in module.__file__))
])`;

/** Pyodide's loadPyodide (same options), restoring from or making a memory snapshot. */
export async function loadPyodide(options = {}) {
  const { snapshot = pageAllowsSnapshot(), ...rest } = options;
  const config = { ...rest, indexURL: PYODIDE_URL };
  const store = snapshot ? await openStore() : null;
  if (!store) return loadPyodideFresh(config);
  let hit = null;
  try {
    hit = await store.cache.match(store.url);
  } catch (error) {
    console.warn(`${PREFIX} could not read the memory snapshot (${error}); booting normally`);
    await discard(store);
  }
  if (hit) {
    const started = performance.now();
    let readError = null;
    const bytes = hit.arrayBuffer().catch((error) => { readError = error; throw error; });
    bytes.catch(() => {}); // handled below, once Pyodide has awaited it
    try {
      const pyodide = await loadPyodideFresh({ ...config, _loadSnapshot: bytes });
      pyodide.runPython("import random as _r; _r.seed(); del _r"); // else every visit draws the same numbers
      const ms = Math.round(performance.now() - started);
      console.info(`${PREFIX} Python restored from a memory snapshot in ${ms} ms ` +
        `(turn off: <html data-pyodide-snapshot="off">, or loadRuntime({snapshot: false}) in the facade)`);
      return pyodide;
    } catch (error) {
      const what = readError ? "read" : "restore";
      console.warn(`${PREFIX} could not ${what} the memory snapshot (${readError ?? error}); booting normally`);
      await discard(store);
    }
  }
  const pyodide = await loadPyodideFresh(config);
  pageStarted().then(() => whenIdle(() => makeSnapshot(pyodide, store)));
  return pyodide;
}

function pageAllowsSnapshot() {
  return globalThis.document?.documentElement?.dataset.pyodideSnapshot !== "off";
}

/** The cache and this build's entry in it, or null where there is no Cache Storage or key. */
async function openStore() {
  if (!globalThis.caches) {
    console.info(`${PREFIX} no Cache Storage here (not a secure context?): booting without a memory snapshot`);
    return null;
  }
  try {
    const response = await fetch(`${PYODIDE_URL}snapshot-key.json`, { cache: "no-cache" });
    if (!response.ok) throw new Error(`snapshot-key.json: HTTP ${response.status}`);
    const { build_id: build, lock_sha256: lock, sdk_wheel_sha256: wheel } = await response.json();
    if (![build, lock, wheel].every((part) => /^[0-9a-f]{16,}$/.test(part))) throw new Error("malformed snapshot-key.json");
    const url = `${PYODIDE_URL}snapshot/${build.slice(0, 16)}-${lock.slice(0, 16)}-${wheel.slice(0, 16)}.bin`;
    const cache = await caches.open(CACHE_NAME);
    for (const request of await cache.keys()) {
      if (request.url !== url) await cache.delete(request); // an older build's snapshot
    }
    return { cache, url };
  } catch (error) {
    console.warn(`${PREFIX} memory snapshots unavailable (${error}); booting normally`);
    return null;
  }
}

async function discard(store) {
  try {
    await store.cache.delete(store.url);
  } catch (error) {
    console.warn(`${PREFIX} could not discard the memory snapshot (${error})`);
  }
}

/** Once the page has started (PyScript's py:all-done, or some seconds after Python came up),
 * so that the snapshot holds every standard-library module the page's start imported. */
function pageStarted() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, STARTED_AFTER_MS);
    globalThis.addEventListener?.("py:all-done", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function whenIdle(run) {
  if (globalThis.requestIdleCallback) requestIdleCallback(run, { timeout: 10_000 });
  else setTimeout(run, 1000);
}

/** Make the snapshot in a worker (off the page's thread) and store it; failures only warn. */
async function makeSnapshot(pyodide, store) {
  try {
    const scope = pyodide.globals.get("dict")(); // not the page's own globals
    let modules;
    try {
      modules = JSON.parse(pyodide.runPython(STDLIB_MODULES, { globals: scope }));
    } finally {
      scope.destroy();
    }
    let result = await inWorker({ modules, url: store.url });
    const cut = result.fits > 0 ? ` (${result.why}: the rest stay out)` : "";
    // Each interpreter hashes strings with a seed of its own, so the heap can grow a module or two
    // sooner in the next one: try again with what came before that, a few times.
    for (let tries = 0; result.fits > 0 && tries < MAKE_TRIES; tries++) {
      result = await inWorker({ modules: modules.slice(0, result.fits), url: store.url });
    }
    if (result.fits !== undefined) throw new Error(result.why);
    console.info(`${PREFIX} memory snapshot saved for the next visit ` +
      `(${(result.bytes / 2 ** 20).toFixed(1)} MiB, ${result.modules} of the page's ${modules.length} ` +
      `standard-library modules${cut}, made in ${result.ms} ms)`);
  } catch (error) {
    console.warn(`${PREFIX} could not make a memory snapshot (${error}); the next visit boots normally`);
    await discard(store);
  }
}

/** One run of the snapshot worker: its answer, or its error, or a timeout. */
async function inWorker(message) {
  const worker = new Worker(import.meta.url, { type: "module", name: WORKER_NAME });
  let timer = null;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no snapshot after ${MAKE_TIMEOUT_MS / 1000} s`)), MAKE_TIMEOUT_MS);
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
      worker.onerror = (event) => reject(new Error(event.message || "the snapshot worker failed to start"));
      worker.postMessage(message);
    });
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

// --- inside the worker ----------------------------------------------------------------------

/** A fresh interpreter, the modules imported one by one, the snapshot stored: {bytes, modules, ms}.
 * A restore cannot grow the heap past its built-in size (pyodide issue 6254), so if a module
 * grows it the answer is {fits, why}: how many modules came before it (the page tries again with
 * those). */
async function makeInWorker({ modules, url }) {
  const started = performance.now();
  const pyodide = await loadPyodideFresh({ indexURL: PYODIDE_URL, _makeSnapshot: true });
  const heap = () => pyodide._module?.HEAP8?.length;
  const initialHeap = heap();
  let imported = 0;
  for (const [index, name] of modules.entries()) {
    // A JSON literal, not a JS object: nothing of JS may stay referenced from Python in a snapshot.
    imported += pyodide.runPython(`
import importlib as _importlib
try:
    _importlib.import_module(${JSON.stringify(name)})
    _done = 1
except Exception:  # not available in a fresh interpreter, or not in a worker: imported later
    _done = 0
del _importlib
_done`);
    if (heap() !== initialHeap) {
      return { fits: index, why: `importing ${name} grew the heap from ${initialHeap} to ${heap()} bytes` };
    }
  }
  pyodide.runPython("globals().pop('_done', None)");
  const bytes = pyodide.makeMemorySnapshot();
  const cache = await caches.open(CACHE_NAME);
  await cache.put(url, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
  return { bytes: bytes.length, modules: imported, ms: Math.round(performance.now() - started) };
}

if (globalThis.WorkerGlobalScope && globalThis.name === WORKER_NAME) {
  globalThis.onmessage = async ({ data }) => {
    try {
      postMessage(await makeInWorker(data));
    } catch (error) {
      postMessage({ error: String(error?.message ?? error) });
    }
  };
}
