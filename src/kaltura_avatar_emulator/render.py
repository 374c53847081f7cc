"""Avatar face frames drawn with numpy and pre-rendered once per avatar as yuv420p arrays."""
from __future__ import annotations

import functools

import av
import numpy as np

from .catalog import Avatar

SIZE = 512
MOUTH_LEVELS = 8  # 0 closed .. 7 wide open


class FaceFrames:
    """All frames of one avatar: frames[eyes_closed][mouth_level] -> yuv420p array (768x512)."""

    def __init__(self, avatar: Avatar):
        base = _draw_head(avatar)
        eyes = [_draw_eyes(base.copy(), avatar, closed) for closed in (False, True)]
        mouths = [_draw_mouth(base.copy(), level) for level in range(MOUTH_LEVELS)]
        self.frames = [[_to_yuv(_compose(e, m)) for m in mouths] for e in eyes]

    def pick(self, mouth_level: int, eyes_closed: bool) -> np.ndarray:
        return self.frames[int(eyes_closed)][max(0, min(MOUTH_LEVELS - 1, mouth_level))]


@functools.lru_cache(maxsize=16)
def face_frames(avatar: Avatar) -> FaceFrames:
    return FaceFrames(avatar)


def _to_yuv(rgb: np.ndarray) -> np.ndarray:
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    return np.ascontiguousarray(frame.to_ndarray())


_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    return ((_X - cx) / rx) ** 2 + ((_Y - cy) / ry) ** 2 <= 1.0


def _shade(color: tuple[int, int, int], factor: float) -> np.ndarray:
    return np.clip(np.array(color, np.float32) * factor, 0, 255)


MOUTH_ROWS = slice(270, 380)  # the mouth is drawn only inside these rows, the eyes only above them


def _compose(eyes: np.ndarray, mouth: np.ndarray) -> np.ndarray:
    out = eyes.copy()
    out[MOUTH_ROWS] = mouth[MOUTH_ROWS]
    return np.ascontiguousarray(np.clip(out, 0, 255).astype(np.uint8))


def _draw_head(a: Avatar) -> np.ndarray:
    """Everything but the eyes and the mouth."""
    img = np.empty((SIZE, SIZE, 3), np.float32)
    t = (_Y / SIZE)[..., None]
    img[:] = _shade(a.background, 1.25) * (1 - t) + _shade(a.background, 0.7) * t
    cx = SIZE / 2
    if a.long_hair:  # hair behind the head, down to the shoulders
        img[_ellipse(cx, 250, 150, 190) & (_Y > 150)] = _shade(a.hair, 0.85)
    img[_ellipse(cx, 560, 210, 130)] = a.shirt  # shoulders
    img[(np.abs(_X - cx) < 45) & (_Y > 300) & (_Y < 440)] = _shade(a.skin, 0.85)  # neck
    img[_ellipse(cx - 118, 245, 20, 34) | _ellipse(cx + 118, 245, 20, 34)] = _shade(a.skin, 0.92)  # ears
    img[_ellipse(cx, 235, 118, 150)] = a.skin  # face
    img[_ellipse(cx, 165, 128, 95) & ~_ellipse(cx, 250, 112, 130) & (_Y < 215)] = a.hair
    for ex in (cx - 45, cx + 45):  # eyebrows
        img[_ellipse(ex, 188, 28, 6)] = _shade(a.hair, 0.8)
    img[_ellipse(cx, 262, 12, 22) & (_X > cx - 2)] = _shade(a.skin, 0.88)  # nose
    return img


def _draw_eyes(img: np.ndarray, a: Avatar, closed: bool) -> np.ndarray:
    for ex in (SIZE / 2 - 45, SIZE / 2 + 45):
        if closed:
            img[_ellipse(ex, 215, 24, 3)] = _shade(a.skin, 0.55)
        else:
            img[_ellipse(ex, 215, 24, 14)] = (250, 250, 250)
            img[_ellipse(ex, 216, 10, 10)] = (60, 40, 30)
            img[_ellipse(ex, 216, 4.5, 4.5)] = (10, 10, 10)
            img[_ellipse(ex + 3, 212, 2.5, 2.5)] = (255, 255, 255)
    return img


def _draw_mouth(img: np.ndarray, level: int) -> np.ndarray:
    """Lips always; the opening grows with the level."""
    cx, cy = SIZE / 2, 318
    opening = 2 + level * 4.5
    img[_ellipse(cx, cy, 40, 8 + opening * 0.55)] = (170, 70, 80)
    if level > 0:
        inner = _ellipse(cx, cy, 34, opening * 0.5)
        img[inner] = (70, 20, 30)
        img[_ellipse(cx, cy - opening * 0.45, 22, 3) & inner] = (240, 240, 240)
    else:
        img[(np.abs(_Y - cy) < 1.5) & (np.abs(_X - cx) < 36)] = (110, 40, 50)
    return img
