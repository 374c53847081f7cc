"""The demo page's own modules (loaded by pyscript.toml [files]); static/app.py wires them.

- settings: where the backend is (static/config.json, then the page's query string)
- catalog: the avatar and voice pickers, from the backend's catalog
- backend: the "my backend creates the session" call
- streaming: a paragraph as timed token chunks of one turn, like an LLM answer
- audio: an MP3's duration, measured in the page with WebAudio
- ui: the DOM: text-only rendering, badges, event log, error banner
"""
