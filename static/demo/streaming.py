"""A paragraph sent like an LLM streams its answer: timed token chunks of one turn.

Every chunk shares one turn id (`kaltura_avatar.new_turn_id()`); `is_final` is True on the last
chunk only. Joining the chunks gives back the text exactly (whitespace included), so the avatar
speaks what was typed.
"""

from __future__ import annotations

import re

WORDS_PER_CHUNK = 3
CHUNK_DELAY_S = 0.15

_TOKEN = re.compile(r"\S+\s*")


def chunks(text: str, words_per_chunk: int = WORDS_PER_CHUNK) -> list[str]:
    """
    >>> chunks("Hello there, how are you today?", 2)
    ['Hello there, ', 'how are ', 'you today?']
    """
    lead = text[: len(text) - len(text.lstrip())]
    tokens = _TOKEN.findall(text)
    if not tokens:
        return []
    tokens[0] = lead + tokens[0]
    return ["".join(tokens[i : i + words_per_chunk]) for i in range(0, len(tokens), words_per_chunk)]

