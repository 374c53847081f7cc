// Add bytecode to wheels, or to the standard library's zip, with the vendored Pyodide itself, under
// Node: scripts/pycompile.py runs in the very interpreter the page runs, so the .pyc files match it.
//
//   node scripts/pycompile.mjs PYODIDE_DIR NAME...   (wheels, or python_stdlib.zip, in PYODIDE_DIR)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, ...wheels] = process.argv.slice(2).map((arg, i) => (i === 0 ? resolve(arg) : arg));
const { loadPyodide } = await import(pathToFileURL(`${dir}/pyodide.mjs`).href);
const pyodide = await loadPyodide({ indexURL: `${dir}/`, stdout: () => {}, stderr: (line) => console.error(line) });
pyodide.FS.mkdirTree("/wheels");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, "/wheels");
const namespace = pyodide.globals.get("dict")();
pyodide.runPython(readFileSync(new URL("./pycompile.py", import.meta.url), "utf8"), { globals: namespace });
const counts = namespace.get("main")("/wheels", pyodide.toPy(wheels)).toJs({ dict_converter: Object.fromEntries });
for (const [name, count] of Object.entries(counts)) console.log(`${name}: ${count} modules compiled`);
