"""The emulator's avatars (each its own drawn look) and voices (espeak-ng voice, variant, pitch)."""
from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Avatar:
    id: str
    name: str
    skin: RGB
    hair: RGB
    background: RGB
    shirt: RGB
    default_voice: str
    long_hair: bool = False


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    espeak: str  # voice[+variant] as espeak-ng's -v takes it
    pitch: int  # espeak-ng -p, 0..99
    language: str
    gender: str


AVATARS: dict[str, Avatar] = {
    a.id: a
    for a in (
        Avatar("avatar-123", "Ava", (234, 192, 160), (92, 58, 33), (40, 70, 120), (200, 60, 70), "voice-456", True),
        Avatar("avatar-nova", "Nova", (141, 85, 60), (25, 20, 20), (30, 110, 90), (240, 200, 60), "voice-amy", True),
        Avatar("avatar-max", "Max", (250, 215, 185), (200, 160, 60), (110, 60, 120), (50, 90, 170), "voice-ben"),
        Avatar("avatar-kai", "Kai", (198, 134, 90), (40, 30, 25), (150, 80, 40), (70, 150, 80), "voice-raj"),
        Avatar("avatar-iris", "Iris", (224, 172, 130), (170, 60, 40), (60, 60, 70), (90, 200, 210), "voice-amy", True),
    )
}

VOICES: dict[str, Voice] = {
    v.id: v
    for v in (
        Voice("voice-456", "Emma", "en-us+f3", 55, "en-US", "female"),
        Voice("voice-amy", "Amy", "en-gb+f4", 65, "en-GB", "female"),
        Voice("voice-ben", "Ben", "en-us+m3", 40, "en-US", "male"),
        Voice("voice-raj", "Raj", "en-gb-x-rp+m1", 35, "en-GB", "male"),
        Voice("voice-lea", "Lea", "fr-fr+f2", 55, "fr-FR", "female"),
    )
}


def catalog_objects(type_equal: str | None) -> list[dict]:
    """Catalog items as `POST /v1/catalog-item/list` answers them."""
    items: list[dict] = []
    if type_equal in (None, "Visual"):
        for a in AVATARS.values():
            items.append({
                "itemId": a.id,
                "type": "Visual",
                "attributes": {"visual": {"name": a.name, "defaultVoiceId": a.default_voice, "width": 512, "height": 512}},
            })
    if type_equal in (None, "Voice"):
        for v in VOICES.values():
            items.append({
                "itemId": v.id,
                "type": "Voice",
                "attributes": {"voice": {"name": v.name, "language": v.language, "gender": v.gender}},
            })
    return items
