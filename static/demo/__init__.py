"""The demo page's own modules (loaded by pyscript.toml [files]); static/app.py wires them.

- settings: where the backend is (static/config.json, then the page's query string)
- catalog: the avatar and voice pickers, from the backend's catalog
- backend: the "my backend creates the session" call
- streaming: a paragraph as timed token chunks of one turn, like an LLM answer
- audio: a picked file checked at once (MP3 at 44.1 kHz) and its duration, measured with WebAudio
- ui: the DOM: text-only rendering, badges, event log, error banner, the connecting step
- words: what the page says (steps, button labels, the stats line, notes), as plain functions
"""
