"""Collations: which ones a server has, and the fold under which all their equal strings meet.

The generator is pure and seeded, so it cannot ask the server itself: a session reads the
server's list once after connecting (`available`) and passes it in `Options.collations`; the
generator keeps the dialect's declared collations that are on it, in their declared order, so
a seed replays exactly on the same server.

Where a collation makes two spellings equal ('a', 'A', 'á', 'a '), DISTINCT and GROUP BY may
keep either: the oracles compare such results after `fold`, which must make equal every pair
of strings that any generated collation makes equal. Declared collations therefore avoid
expansions and contractions (German phonebook `ae` = `ä`, Danish `aa` = `å`), which no
letter-by-letter fold can follow.
"""

from __future__ import annotations

import unicodedata

from fuzzer.engines import Engine

#: letters NFKD leaves alone that some collation folds into an ASCII letter
_LETTERS = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ł": "l"})  # noqa: RUF001


def fold(s: str) -> str:
    """s without trailing spaces, accents and case: equal under every generated collation
    whenever two strings are equal under one of them."""
    if s.isascii():
        return s.rstrip(" ").lower()
    decomposed = unicodedata.normalize("NFKD", s)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_LETTERS).casefold().rstrip(" ")


def available(engine: Engine, query: str) -> tuple[str, ...] | None:
    """The names of the collations the engine has, by `query`; None when it cannot say."""
    if not query:
        return None
    outcome = engine.execute(query)
    if not outcome.ok:
        return None
    return tuple(sorted(str(row[0]) for row in outcome.rows))  # type: ignore[union-attr]
