"""Text normalisation: the one place that decides how article text and questions are spelled.

Articles (every reader) and questions (every front end, through `Pipeline.check_question`) pass
through `normalize_text`, so a word written with a soft hyphen or a zero-width space in one of them
matches the same word written plainly in the other, and quotes carry no invisible characters.
"""

from __future__ import annotations

import unicodedata

# Characters that change nothing a reader sees but split words for a program: soft hyphen,
# zero-width space/non-joiner/joiner, word joiner, byte order mark (zero-width no-break space),
# and the bidirectional controls (marks, embeddings, overrides, isolates).
INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u2060"  # word joiner
    "\ufeff"  # byte order mark / zero-width no-break space
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
_DROP: dict[int, None] = {ord(c): None for c in INVISIBLE}


def normalize_text(s: str) -> str:
    """`s` without invisible characters (soft hyphen, zero-width, BOM, bidi controls), in NFC.

    Newlines and other whitespace are kept as they are; nothing is trimmed.
    """
    return unicodedata.normalize("NFC", s.translate(_DROP))
