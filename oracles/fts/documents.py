"""The documents and words of the fts oracle's checks.

A small pool, so that documents share words and queries find them: stems of one word (cat,
cats; run, running, ran), stop words, words that are prefixes of others (star, start,
starting), repeats, hyphenated compounds (PostgreSQL indexes the compound and its parts),
digits, and non-ASCII words that tokenizers fold or keep.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

#: words a query may name (ASCII, no punctuation: every query syntax takes them bare)
QUERY_WORDS = (
    "cat", "cats", "dog", "dogs", "run", "running", "runs", "ran", "jump", "jumped",
    "fox", "foxes", "quick", "brown", "lazy", "star", "stars", "start", "starting", "sky",
    "skies", "fast", "moving", "move", "well", "known", "the", "a", "of", "and", "not", "is",
    "x1", "42", "cafe",
)  # fmt: skip
#: words only documents have
DOCUMENT_WORDS = ("fast-moving", "well-known", "re-run", "café", "naïve", "Über", "3.14",
                  "foo@example.com", "don't", "O'Neil", "x1-y2")  # fmt: skip
SEPARATORS = (" ", " ", " ", ", ", ". ", " - ", "; ", "! ")


def document(rng: random.Random, most: int = 10) -> str:
    """A document of up to `most` words, repeats likely, in mixed case, with punctuation."""
    words = []
    for _ in range(rng.randint(1, most)):
        if words and rng.random() < 0.15:
            word = rng.choice(words)
        elif rng.random() < 0.15:
            word = rng.choice(DOCUMENT_WORDS)
        else:
            word = rng.choice(QUERY_WORDS)
        if rng.random() < 0.1:
            word = word.capitalize() if rng.random() < 0.7 else word.upper()
        words.append(word)
    text = words[0]
    for word in words[1:]:
        text += rng.choice(SEPARATORS) + word
    return text


def words(rng: random.Random, documents: Sequence[str], most: int = 3) -> list[str]:
    """Up to `most` consecutive ASCII words of one of the documents (queries then find
    something), or words of the pool."""
    chosen = rng.choice(documents) if documents and rng.random() < 0.7 else ""
    found = re.findall(r"[A-Za-z0-9]+", chosen)
    count = rng.randint(1, most)
    if not found:
        return [rng.choice(QUERY_WORDS) for _ in range(count)]
    start = rng.randrange(len(found))
    return found[start : start + count]


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


__all__ = ["DOCUMENT_WORDS", "QUERY_WORDS", "document", "quote", "words"]
