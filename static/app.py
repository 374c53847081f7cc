"""The demo page's Python: runs in the browser on Pyodide (PyScript)."""

import sys

from pyscript import document

import kaltura_avatar


def show_versions() -> None:
    document.getElementById("sdk-version").textContent = kaltura_avatar.__version__
    document.getElementById("python-version").textContent = sys.version.split()[0]


def main() -> None:
    show_versions()
    document.getElementById("boot").remove()
    document.getElementById("app").hidden = False
    document.body.dataset.ready = "true"


main()
