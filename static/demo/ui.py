"""The page's DOM. Every user or server string goes in with `textContent`, never as HTML."""

from __future__ import annotations

from js import Date, document

LOG_LIMIT = 300


def el(element_id: str):
    return document.getElementById(element_id)


def set_text(element_id: str, text: str) -> None:
    el(element_id).textContent = text


def enable(element_id: str, on: bool) -> None:
    el(element_id).disabled = not on


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


class EventLog:
    """The timestamped event list (aria-live): one <li data-kind=...> per entry."""

    def __init__(self, element_id: str = "event-log"):
        self.list = el(element_id)

    def add(self, kind: str, text: str = "", level: str = "info") -> None:
        item = document.createElement("li")
        item.dataset.kind = kind
        item.dataset.level = level
        stamp = document.createElement("time")
        stamp.textContent = clock()
        name = document.createElement("b")
        name.textContent = kind
        item.append(stamp, " ", name)
        if text:
            detail = document.createElement("span")
            detail.textContent = text
            item.append(" ", detail)
        self.list.appendChild(item)
        while self.list.children.length > LOG_LIMIT:
            self.list.firstElementChild.remove()
        self.list.scrollTop = self.list.scrollHeight  # the list scrolls, not the page

    def clear(self) -> None:
        self.list.replaceChildren()


class ErrorBanner:
    def show(self, code: str, message: str) -> None:
        set_text("error-code", code)
        set_text("error-message", message)
        el("error-banner").hidden = False

    def hide(self) -> None:
        el("error-banner").hidden = True


def badge(element_id: str, value_id: str, value: str) -> None:
    el(element_id).dataset.value = value
    set_text(value_id, value)


def speaking(on: bool) -> None:
    el("speaking").dataset.speaking = "true" if on else "false"
    set_text("speaking-text", "Speaking" if on else "Not speaking")
