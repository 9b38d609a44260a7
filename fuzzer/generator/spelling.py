"""Spellings: which of the manual's equivalent ways to write a construct a node gets.

`INNER JOIN` for `JOIN`, `!=` for `<>`, `SELECT ALL`, `IF NOT EXISTS` on a fresh name: the
meaning is one, the text the parser sees is not, and parsers have had bugs in exactly such
corners. The generator draws them here, with its own random stream, so a seed still gives
one statement; the tree records them (`spellings` of a node) and the renderer writes only
those its dialect declares (`Capabilities.spellings`).
"""

from __future__ import annotations

import random

#: how often each applicable spelling is drawn for a node (the `spelling` weight scales it)
CHANCE = 0.15


class Spellings:
    def __init__(self, rng: random.Random, have: tuple[str, ...], chance: float) -> None:
        self.rng = rng
        self.have = frozenset(have)
        self.chance = chance

    def draw(self, *names: str) -> tuple[str, ...]:
        """Those of `names` the dialect has, each with the spelling chance."""
        rng, chance = self.rng, self.chance
        return tuple(n for n in names if n in self.have and rng.random() < chance)

    def draw_plus(self) -> bool:
        """Unary `+` in place of a negation: no spelling of one meaning, but a rarely
        generated operator all the same (it also strips a SQLite column's affinity)."""
        return self.rng.random() < self.chance
