"""Local emulator of the Kaltura avatar backend (Control API + WHEP media), and the demo's web server.

Run: python -m kaltura_avatar_emulator [--host 127.0.0.1] [--port 8000] [--root DIR]
     [--mount /prefix=DIR ...] [--test-controls] [--idle-timeout S] [--max-sessions N]
     [--ks KS ...] [--forbidden-ks KS ...] [--turn] [--upstream-url URL]
Prints "Serving on http://HOST:PORT/" once ready; stops cleanly on SIGINT/SIGTERM.

Static files: / -> ROOT/index.html, /pyscript.toml, /static/<path>, and /prefix/<path> per --mount.
Control API: POST /v1/avatar-session[/create], /v1/avatar-session/{id}/{init-client,say-text,
  say-audio,interrupt,keep-alive,end}; POST /v1/catalog-item/list; GET|POST /api/create-avatar-session
  (server-side create with the server's own KS, env KALTURA_AVATAR_BACKEND_KS; upstream from
  --upstream-url or env KALTURA_AVATAR_UPSTREAM_URL). The KS "forbidden-ks" gets 403.
WHEP: POST /rtc/v1/whep/?app=app&stream={sessionId}; PATCH/DELETE on the returned Location.

Test controls (only with --test-controls; 404 otherwise):
  POST   /__test__/faults     {"route", "count", "status"?, "hang"?, "drop"?, "headers"?, "body"?}
         routes: create, init-client, say-text, say-audio, interrupt, keep-alive, end,
                 whep-post, whep-patch, whep-delete, create-avatar-session
  DELETE /__test__/faults     clear all faults
  POST   /__test__/sessions/{id}/expire       end the session as if idle-timed-out
  POST   /__test__/sessions/{id}/drop-media   close its WHEP peer connection (session stays)
  GET    /__test__/sessions[/{id}]            media state: frames_sent, audio_queue_ms, speech, ...
  GET    /__test__/requests   request log (secrets redacted); DELETE clears it
  POST   /__test__/reset      end all sessions, clear faults and the request log
"""
