"""The demo and the facade as an attacker would try them, in the browser.

A link cannot point the demo's credentials elsewhere; the page runs under its CSP (no inline
script, no framing) with no violation; and the KS and the session tokens never show in the
console (at debug level), the DOM, a URL, storage, cookies or an error, while the backend's own
KS never reaches the browser at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "static"))

from demo import settings  # noqa: E402

BOOT_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_MS = 30_000
KS = "ks-Secret-4f7c2e9a"
BACKEND_KS = "emulator-backend-ks"  # what the e2e emulator's /api/create-avatar-session holds (no env KS)
FOREIGN = ("attacker.test", "127.evil.example")
RECORD_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));
"""


class Witness:
    """Everything the browser saw: console lines at every level, and the API answers it read."""

    def __init__(self, page):
        self.console: list[str] = []
        self.answers: list[str] = []
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(str(e)))
        page.on("response", self._answer)

    def _answer(self, response) -> None:
        if urlsplit(response.url).path.startswith(("/v1/", "/api/", "/rtc/")):
            try:
                self.answers.append(response.text())
            except Exception:  # a redirect or a body already gone: nothing was read
                pass

    def tokens(self) -> list[str]:
        found = []
        for text in self.answers:
            try:
                body = json.loads(text)
            except ValueError:
                continue
            if isinstance(body, dict) and isinstance(body.get("token"), str):
                found.append(body["token"])
        return found


def where_secrets_show(guard, witness: Witness, secrets: list[str], ks_field: str | None = None) -> list[str]:
    """Where in the page any of `secrets` shows; `ks_field`: the one input the user typed the KS into."""
    page = guard.page
    dom = page.content()  # markup and every attribute
    values = page.eval_on_selector_all(
        "input, textarea, select", "(els, skip) => els.filter(e => e.id !== skip).map(e => e.value)", ks_field)
    storage = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
    cookies = json.dumps(page.context.cookies())
    places = {"console": "\n".join(witness.console), "DOM": dom, "input values": "\n".join(values),
              "URLs": "\n".join([page.url, *guard.requests]), "storage": storage, "cookies": cookies}
    return [f"{secret[:12]}… in {place}" for secret in secrets for place, text in places.items() if secret in text]


def test_a_link_cannot_send_the_credentials_elsewhere_and_nothing_leaks(guarded_page, emulator):
    guard, page = guarded_page, guarded_page.page
    guard.allow_console_error(r"inline script violates")
    guard.allow_console_error(r"status of 401")
    witness = Witness(page)
    page.add_init_script(RECORD_VIOLATIONS)
    query = urlencode({"mode": "backend", "logLevel": "debug", "baseUrl": "http://attacker.test/v1/avatar-session",
                       "sessionEndpoint": "http://127.evil.example/api/create-avatar-session"})
    response = page.goto(f"{emulator.url}/?{query}")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")

    # The link's URLs were ignored, and the page said so; the catalog was read from its own origin.
    assert page.input_value("#base-url") == emulator.api_base
    assert page.input_value("#session-endpoint") == emulator.url + "/api/create-avatar-session"
    warnings = page.eval_on_selector_all("#event-log li[data-kind=settings][data-level=warn]", "els => els.map(e => e.textContent)")
    assert len(warnings) == 2 and "?baseUrl=" in warnings[0] and "?sessionEndpoint=" in warnings[1], warnings
    catalog = [u for u in guard.requests if u.endswith("/v1/catalog-item/list")]
    assert catalog and all(u.startswith(emulator.url + "/") for u in catalog)

    # "My backend": the token comes from, and goes to, this machine only.
    page.click("#connect-button")
    page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=CONNECT_TIMEOUT_MS)
    page.click("#end-button")
    page.wait_for_selector("body[data-session-state=ENDED]", state="attached", timeout=CONNECT_TIMEOUT_MS)

    # The SDK with a KS, then an error while the session holds a token.
    page.check("#mode-sdk")
    page.fill("#ks", KS)
    page.click("#connect-button")
    page.wait_for_selector("body[data-session-state=READY]", state="attached", timeout=CONNECT_TIMEOUT_MS)
    emulator.fault("say-text", status=401)
    page.click("#say-button")
    page.wait_for_selector("#error-banner:not([hidden])", state="attached", timeout=CONNECT_TIMEOUT_MS)
    page.click("#end-button")
    page.wait_for_selector("body[data-session-state=ENDED]", state="attached", timeout=CONNECT_TIMEOUT_MS)

    # The CSP holds: an injected inline script does not run, and the page itself broke no rule.
    assert page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__injected = true'; document.head.append(s); return window.__injected === undefined; }""")
    assert page.evaluate("() => window.__violations") == ["script-src-elem"]

    tokens = witness.tokens()
    assert len(tokens) == 2  # one from the backend route, one from create
    assert where_secrets_show(guard, witness, [KS, *tokens], ks_field="ks") == []
    assert not any(BACKEND_KS in text for text in witness.answers)  # the backend's KS never reached the browser
    assert not [u for u in guard.requests if urlsplit(u).hostname in FOREIGN]
    assert sum("/api/create-avatar-session" in u for u in guard.requests) == 1


def test_the_demo_cannot_be_framed(guarded_page, emulator):
    page = guarded_page.page
    guarded_page.allow_console_error(r"frame-ancestors")
    page.set_content(f'<iframe src="{emulator.url}/"></iframe>')
    frame = page.frames[1]
    frame.wait_for_load_state()
    assert frame.url != emulator.url + "/" and frame.evaluate("() => document.getElementById('app')") is None


FACADE_FLOW = """async ([ks, base]) => {
  const { KalturaAvatarSession } = window.avatarSdk;
  const text = (e) => [e.code, String(e), e.message, JSON.stringify(e.details)].join(' ');
  const refused = new KalturaAvatarSession(ks, { baseUrl: base, logLevel: 'debug' });
  const first = await refused.createSession({ avatarId: 'avatar-123' }).then(() => null, (e) => text(e));
  const session = new KalturaAvatarSession(ks, { baseUrl: base, logLevel: 'debug' });
  await session.createSession({ avatarId: 'avatar-123', videoContainerId: 'avatar-container' });
  // everything page scripts can reach from the instance, Python objects (where the SDK keeps it) aside
  const seen = new Set(), held = [];
  const walk = (value, path, depth) => {
    if (typeof value === 'string') { if (value.includes(ks)) held.push(path); return; }
    if (!value || !['object', 'function'].includes(typeof value) || seen.has(value) || depth > 5) return;
    if (value.constructor?.name?.startsWith('PyProxy') || typeof value.toJs === 'function') return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      let next; try { next = value[key]; } catch { continue; }
      walk(next, `${path}.${String(key)}`, depth + 1);
    }
  };
  walk(session, 'session', 0);
  window.__facade = session;
  return { first, held };
}"""


def test_the_facade_forgets_the_ks_and_its_errors_carry_no_secret(guarded_page, emulator):
    guard, page = guarded_page, guarded_page.page
    guard.allow_console_error(r"status of 401|UNAUTHORIZED|Injected fault")
    witness = Witness(page)
    page.goto(emulator.url + "/e2e/facade.html")
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    emulator.fault("create", status=401)
    result = page.evaluate(FACADE_FLOW, [KS, emulator.api_base])
    assert result["first"] and "UNAUTHORIZED" in result["first"] and KS not in result["first"]
    assert result["held"] == []  # nothing in JS keeps the KS once the SDK holds it
    emulator.fault("say-text", status=401)
    said = page.evaluate("""() => window.__facade.sayText('Hello').then(() => null,
        (e) => [e.code, String(e), e.message, JSON.stringify(e.details)].join(' '))""")
    page.evaluate("() => window.__facade.endSession()")
    tokens = witness.tokens()
    assert said and len(tokens) == 1 and tokens[0] not in said and KS not in said
    assert where_secrets_show(guard, witness, [KS, *tokens]) == []


@pytest.mark.parametrize("url,honoured", [
    ("http://127.0.0.1:9000", True), ("http://127.1.2.3", True), ("http://localhost:9000", True),
    ("http://[::1]:9000", True), ("https://demo.example", True),  # the page's own origin
    ("http://127.evil.example", False), ("http://localhost.evil.example", False), ("http://attacker.test", False),
    ("https://demo.example.evil", False), ("javascript:alert(1)", False), ("http://[::1", False),
])
def test_query_string_urls_are_honoured_only_for_loopback_or_the_pages_origin(url, honoured):
    for key in settings.URL_KEYS:
        s = settings.resolve({"backend": "https://api.example"}, {key: url, "mode": "backend"}, "https://demo.example")
        assert (s.ignored == ()) == honoured and s.mode == "backend", (key, url, s)
        if not honoured:
            assert url not in (s.backend, s.base_url, s.session_endpoint)
