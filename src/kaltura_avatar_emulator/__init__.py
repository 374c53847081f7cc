"""Local emulator of the Kaltura avatar backend (Control API + WHEP media), and the demo's web server.

Run: python -m kaltura_avatar_emulator [--host 127.0.0.1] [--port 8000] [--pages DIR] [--root DIR]
     [--mount /prefix=DIR ...] [--test-controls] [--idle-timeout S] [--max-sessions N]
     [--ks KS ...] [--forbidden-ks KS ...] [--token-ttl S] [--turn [--turn-port P]] [--upstream-url URL]
     [--allow-origin ORIGIN ...] [--allow-host NAME ...] [--max-audio-seconds S] [--max-turn-chars N]
     [--max-queue-seconds S]
Prints "Serving on http://HOST:PORT/" once ready; stops cleanly on SIGINT/SIGTERM.

Static files: / -> ROOT/index.html, /pyscript.toml, /static/<path> (the demo), or with --pages DIR
  every path from DIR instead; /kaltura-avatar/ -> the runtime pages load (kaltura-avatar.js,
  pyodide-snapshot.mjs, vendor/ from ROOT/static/); /prefix/<path> per --mount.
Control API: POST /v1/avatar-session[/create], /v1/avatar-session/{id}/{init-client,say-text,
  say-audio,interrupt,keep-alive,end}; POST /v1/catalog-item/list; GET|POST /api/create-avatar-session
  (server-side create with the server's own KS, env KALTURA_AVATAR_BACKEND_KS; upstream from
  --upstream-url or env KALTURA_AVATAR_UPSTREAM_URL). The KS "forbidden-ks" gets 403.
Guards (security.py): a Host that is not loopback, --host or --allow-host gets 421 everywhere;
  the backend route and the test controls answer CORS only to loopback and --allow-origin
  origins and refuse cross-site requests with 403.
WHEP: POST /rtc/v1/whep/?app=app&stream={sessionId}; PATCH/DELETE on the returned Location.

Test controls (only with --test-controls; 404 otherwise):
  POST   /__test__/faults     {"route", "count" (>= 1), "status"?, "hang"?, "drop"?, "headers"?, "body"?,
         "no_media"?, "session"?} the next `count` requests on `route` (of `session` only, if given)
         answer `status` with {"success": false, "error": "Injected fault"} (or `body`, plus
         `headers`), or hang `hang` s first, or drop the connection; `no_media` (whep-post): the
         offer is answered but no frame is ever sent
         routes: create, init-client, say-text, say-audio, interrupt, keep-alive, end,
                 whep-post, whep-patch, whep-delete, create-avatar-session
  DELETE /__test__/faults     clear all faults
  POST   /__test__/sessions/{id}/expire       end the session as if idle-timed-out
  POST   /__test__/sessions/{id}/drop-media   close its WHEP peer connection (session stays)
  GET    /__test__/sessions[/{id}]            {id, state, avatar_id, voice_id, viewers, frames_sent,
         frames_late, audio_queue_ms, speaking, speech: [{turn_id, start, end, text, interrupted}],
         keepalives, created, ended_reason}  (speech: one record per turn heard; start/end: unix times
         when its audio was sent; text: its chunks that began playing, null for say-audio)
  GET    /__test__/requests   [{t, method, path, route, query, headers, body, status}] (route: the fault
         route name the request matched, or null; status: the answer's, null for a dropped
         connection; secrets redacted); DELETE clears
  POST   /__test__/reset      end (and forget) all sessions, clear faults and the request log
"""
