"""The avatar and voice pickers, filled from the backend's catalog.

`POST {origin}/v1/catalog-item/list` with `Authorization: KS <ks>` and
`{"filter": {"typeEqual": "Visual" | "Voice"}, "pager": {...}}`. When the catalog cannot be read
(no KS, another backend, offline) the pickers fall back to the emulator's default ids.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Item:
    id: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


DEFAULT_AVATARS = (Item("avatar-123", "Ava"),)
DEFAULT_VOICES = (Item("voice-456", "Emma"),)


def parse(body: dict, kind: str) -> list[Item]:
    """Items of one type ("Visual" or "Voice") from a catalog answer; junk entries skipped."""
    key = "visual" if kind == "Visual" else "voice"
    items = []
    for obj in body.get("objects") or []:
        if not isinstance(obj, dict) or obj.get("type") not in (None, kind):
            continue
        item_id = obj.get("itemId")
        if not isinstance(item_id, str) or not item_id:
            continue
        attributes = (obj.get("attributes") or {}).get(key) or {}
        name = attributes.get("name") if isinstance(attributes, dict) else None
        items.append(Item(item_id, name if isinstance(name, str) else ""))
    return items


async def _list(url: str, ks: str, kind: str) -> list[Item]:
    from pyodide.http import pyfetch

    response = await pyfetch(
        url,
        method="POST",
        headers={"Authorization": f"KS {ks}", "Content-Type": "application/json"},
        body=json.dumps({"filter": {"typeEqual": kind}, "pager": {"offset": 0, "limit": 100}}),
    )
    if not response.ok:
        raise RuntimeError(f"the catalog answered HTTP {response.status}")
    return parse(await response.json(), kind)


async def load(url: str, ks: str) -> tuple[list[Item], list[Item], str | None]:
    """(avatars, voices, problem): the catalog's items, or the defaults and why."""
    if not url or not ks:
        return list(DEFAULT_AVATARS), list(DEFAULT_VOICES), "no catalog URL or KS"
    try:
        avatars, voices = await asyncio.wait_for(
            asyncio.gather(_list(url, ks, "Visual"), _list(url, ks, "Voice")), TIMEOUT_S
        )
    except Exception as exc:  # any failure: the defaults still let you connect
        return list(DEFAULT_AVATARS), list(DEFAULT_VOICES), str(exc) or type(exc).__name__
    return avatars or list(DEFAULT_AVATARS), voices or list(DEFAULT_VOICES), None
