"""The page's DOM. Every user or server string goes in with `textContent`, never as HTML."""

from __future__ import annotations

from js import Date, document

from demo import words

LOG_LIMIT = 300


def el(element_id: str):
    return document.getElementById(element_id)


def set_text(element_id: str, text: str) -> None:
    el(element_id).textContent = text


def enable(element_id: str, on: bool) -> None:
    el(element_id).disabled = not on


def show(element_id: str, on: bool) -> None:
    el(element_id).hidden = not on


def fill_select(element_id: str, items, default: str | None = None) -> None:
    """Replace a <select>'s options (labels as text); keep the current choice when it is still
    offered, else pick `default`, else the first."""
    select = el(element_id)
    ids = [item.id for item in items]
    chosen = next((v for v in (select.value, default) if v in ids), ids[0] if ids else None)
    select.replaceChildren()
    for item in items:
        option = document.createElement("option")
        option.value = item.id
        option.textContent = item.label
        option.selected = item.id == chosen
        select.appendChild(option)


def clock() -> str:
    """Local wall-clock time with milliseconds, e.g. 14:03:07.215."""
    now = Date.new()
    return f"{now.toTimeString()[:8]}.{int(now.getMilliseconds()):03d}"


def _text(tag: str, text: str):
    node = document.createElement(tag)
    node.textContent = text
    return node


class EventLog:
    """The timestamped event list (aria-live): one <li data-kind=...> per entry; a long entry
    shows its start, and the whole text when opened (<details>)."""

    def __init__(self, element_id: str = "event-log", empty_id: str = "log-empty"):
        self.list = el(element_id)
        self.empty = el(empty_id)

    def add(self, kind: str, text: str = "", level: str = "info") -> None:
        item = document.createElement("li")
        item.dataset.kind = kind
        item.dataset.level = level
        item.append(_text("time", clock()), " ", _text("b", kind))
        if text:
            short = words.preview(text)
            if short is None:
                item.append(" ", _text("span", text))
            else:
                box = document.createElement("details")
                box.append(_text("summary", short), _text("span", text))
                item.append(" ", box)
        self.list.appendChild(item)
        while self.list.children.length > LOG_LIMIT:
            self.list.firstElementChild.remove()
        self.empty.hidden = True
        self.list.scrollTop = self.list.scrollHeight  # the list scrolls, not the page

    def clear(self) -> None:
        self.list.replaceChildren()
        self.empty.hidden = False


class ErrorBanner:
    """One problem at a time: its message for people, its code for developers, and its cause,
    so the banner goes away once that cause is gone (`clear`)."""

    def __init__(self):
        self.cause: str | None = None

    def show(self, code: str, message: str, cause: str) -> None:
        set_text("error-message", message)
        set_text("error-code", code)
        el("error-banner").hidden = False
        self.cause = cause

    def clear(self, *causes: str) -> None:
        """Hide the banner if what it shows came from one of `causes`."""
        if self.cause in causes:
            self.hide()

    def hide(self) -> None:
        el("error-banner").hidden = True
        self.cause = None


def badge(element_id: str, value_id: str, value: str) -> None:
    el(element_id).dataset.value = value
    set_text(value_id, value)


def speaking(on: bool) -> None:
    el("speaking").dataset.speaking = "true" if on else "false"
    set_text("speaking-text", "Speaking" if on else "Not speaking")


def progress(step: str | None, seconds: float = 0.0) -> None:
    """The step a connection is on, over the video (hidden when there is none)."""
    show("video-status", step is not None)
    if step is not None:
        set_text("video-step", words.STEPS[step])
        set_text("video-elapsed", f"{seconds:.1f} s")
