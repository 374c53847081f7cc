"""Kaltura Avatar Client SDK for Python in the browser (PyScript/Pyodide)."""

__version__ = "0.1.0"
