"""Shared by the demo's browser tests (no tests here): one demo page per module, and the ways a
test reads what the page shows (states, the event log, the banner, pixels, the emulator's log).

`demo` is a module-scoped fixture (import it into the test module): the demo page, booted once,
with the request and console guard of `guarded_page` checked when the module ends.
"""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from conftest import GuardedPage

BOOT_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_MS = 30_000
SPEECH_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def demo(shared_context, emulator_process):
    guard = GuardedPage(shared_context.new_page())
    open_demo(guard, emulator_process.url + "/")
    guard.page.wait_for_selector("#connect-form[data-catalog=loaded]", state="attached")
    yield guard
    guard.page.close()
    guard.check()


def open_demo(guarded_page, url: str):
    page = guarded_page.page
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", state="attached", timeout=BOOT_TIMEOUT_MS)
    return page


def wait_state(page, state: str, timeout: float = CONNECT_TIMEOUT_MS) -> None:
    page.wait_for_selector(f"body[data-session-state={state}]", state="attached", timeout=timeout)


def text_is(page, selector: str, text: str, timeout: float = CONNECT_TIMEOUT_MS) -> None:
    page.wait_for_function("([s, t]) => document.querySelector(s).textContent.trim() === t",
                           arg=[selector, text], timeout=timeout)


def banner(page) -> tuple[str, str]:
    """(code, message) of the error banner, once it shows."""
    page.wait_for_selector("#error-banner:not([hidden])", timeout=CONNECT_TIMEOUT_MS)
    return page.inner_text("#error-code"), page.inner_text("#error-message")


def log_entries(page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        "#event-log li",
        "items => items.map(li => [li.dataset.kind, (li.querySelector('span') || {}).textContent || ''])",
    )


def wait_log_count(page, kind: str, count: int, timeout: float = SPEECH_TIMEOUT_MS) -> None:
    try:
        page.wait_for_function(
            "([kind, n]) => document.querySelectorAll(`#event-log li[data-kind='${kind}']`).length >= n",
            arg=[kind, count], timeout=timeout,
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"no {kind} #{count} in the event log: {log_entries(page)}") from None


def assert_in_order(entries: list[tuple[str, str]], expected: list[tuple[str, str | None]]) -> None:
    """`expected` appears in `entries` as a subsequence (text None: any text)."""
    position = 0
    for kind, text in expected:
        while position < len(entries) and not (
            entries[position][0] == kind and (text is None or entries[position][1] == text)
        ):
            position += 1
        assert position < len(entries), f"{kind} {text!r} missing or out of order in {entries}"
        position += 1


def pixels(png: bytes) -> np.ndarray:
    with av.open(io.BytesIO(png)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.int16)


def requests_to(emulator, suffix: str) -> list[dict]:
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"].endswith(suffix)]
