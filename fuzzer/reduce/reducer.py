"""The reduction loop: coarse passes first, fine passes last, repeated until nothing shrinks.

1. ddmin over the statements; ddmin over the rows of each multi-row INSERT; columns dropped
   from CREATE TABLE and its INSERTs together.
2. Per statement, a sweep over clause, list-item, operand and parenthesis removals (lexer)
   and subtree removals and replacements (parse tree), outermost first, as C-Vise sweeps a
   pass: after an accepted edit the sweep resumes where that edit was.
3. Per statement, literal simplification.

Every candidate is cached by its text; a statement the dialect grammar parses must still
parse after an edit, and a deterministic one must stay so (`determinism`), before the engine
sees it. The final script is re-checked several times
from scratch; if a flaky step slipped through, the reducer steps back to the last script that
passes every re-check.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from lark import Tree
from lark.exceptions import LarkError

from fuzzer.reduce.ddmin import ddmin
from fuzzer.reduce.determinism import deterministic
from fuzzer.reduce.interesting import script_text
from fuzzer.reduce.passes import (
    Candidate,
    Insert,
    drop_column,
    lexical,
    literals,
    smaller,
    structural,
    tables,
    tidy,
)
from fuzzer.script import tokens

if TYPE_CHECKING:
    from oracles.finding import Finding


class NotInteresting(Exception):
    """The input does not show the problem: there is nothing to keep while reducing."""


class _OutOfTime(Exception):
    pass


class Grammar:
    """Statements parsed under a dialect's grammar, cached by text."""

    def __init__(self, dialect: str) -> None:
        import grammar  # another package: absent or unfinished grammars mean lexer passes only

        self.parser = grammar.parser(dialect)
        self._trees: dict[str, Tree | None] = {}

    @classmethod
    def load(cls, dialect: str | None) -> Grammar | None:
        if dialect is None:
            return None
        try:
            return cls(dialect)
        except (ImportError, ValueError, LarkError):
            return None

    def tree(self, sql: str) -> Tree | None:
        if sql not in self._trees:
            try:
                self._trees[sql] = self.parser.parse(sql)
            except LarkError:
                self._trees[sql] = None
        return self._trees[sql]


@dataclass
class Stats:
    statements_before: int = 0
    statements_after: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    trials: int = 0  # scripts run on the engine (or the command)
    cached: int = 0  # candidates answered from the cache
    unparsable: int = 0  # candidates the grammar rejected before any trial
    nondeterministic: int = 0  # candidates refused: a rule of determinism broken by the edit
    seconds: float = 0.0
    grammar: bool = False  # whether candidates were filtered by the dialect grammar
    timed_out: bool = False
    rechecks: int = 0
    accepted: Counter[str] = field(default_factory=Counter)  # accepted edits by pass

    def to_dict(self) -> dict:
        data = asdict(self)
        data["accepted"] = dict(sorted(self.accepted.items()))
        return data


@dataclass
class Reduction:
    statements: list[str]
    stats: Stats
    #: the confirmed finding of the reduced case, when an oracle reduced it itself
    #: (`Oracle.reduce`); the store keeps it, so that `triage recheck` replays it
    finding: Finding | None = None

    @property
    def script(self) -> str:
        return script_text(self.statements)


def count_tokens(statements: Sequence[str]) -> int:
    return sum(len(tokens(s)) for s in statements)


@dataclass
class Reducer:
    """Reduces a script against one interestingness test."""

    test: Callable[[Sequence[str]], bool]
    dialect: str | None = None
    max_time: float | None = None  # seconds; the best script so far is kept when time runs out
    rechecks: int = 3
    progress: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.grammar = Grammar.load(self.dialect)
        self._cache: dict[str, bool] = {}
        self._history: list[list[str]] = []
        self._deadline = float("inf")
        self.stats = Stats(grammar=self.grammar is not None)

    def reduce(self, statements: Sequence[str]) -> Reduction:
        began = time.monotonic()
        if self.max_time is not None:
            self._deadline = began + self.max_time
        current = list(statements)
        stats = self.stats
        stats.statements_before, stats.tokens_before = len(current), count_tokens(current)
        stats.bytes_before = len(script_text(current))
        if not self._try(current):
            raise NotInteresting("the script does not show the problem")
        try:
            current = self._fixpoint(current)
        except _OutOfTime:
            stats.timed_out = True
        current = self._verified()
        stats.statements_after, stats.tokens_after = len(current), count_tokens(current)
        stats.bytes_after = len(script_text(current))
        stats.seconds = time.monotonic() - began
        return Reduction(current, stats)

    # -- the passes ------------------------------------------------------------------------

    def _fixpoint(self, current: list[str]) -> list[str]:
        tidied = [tidy(s) for s in current]
        if self._try(tidied):
            current = tidied
        rounds = 0
        while True:
            rounds += 1
            before = current
            current = ddmin(current, self._try)
            self._note(f"round {rounds}: {len(current)} statements after ddmin")
            current = self._rows(current)
            current = self._columns(current)
            for i in reversed(range(len(current))):  # queries last in a script, richest first
                current = self._sweep(current, i, self._structural)
            for i in reversed(range(len(current))):
                current = self._sweep(current, i, literals)
            self._note(f"round {rounds}: {count_tokens(current)} tokens")
            if current == before:
                return current

    def _rows(self, current: list[str]) -> list[str]:
        for i, sql in enumerate(current):
            insert = Insert.parse(sql)
            if insert is not None and len(insert.rows) > 1:
                current = self._rows_of(current, i, insert)
        return current

    def _rows_of(self, current: list[str], i: int, insert: Insert) -> list[str]:
        def script(rows: Sequence[str]) -> list[str]:
            return [*current[:i], insert.with_rows(rows), *current[i + 1 :]]

        return script(ddmin(insert.rows, lambda rows: self._try(script(rows))))

    def _columns(self, current: list[str]) -> list[str]:
        done: set[tuple[str, str]] = set()
        while True:
            for table in tables(current):
                for column in table.columns:
                    if (table.name, column) in done or len(table.columns) < 2:
                        continue
                    done.add((table.name, column))
                    candidate = drop_column(current, table, column)
                    if candidate is not None and self._admissible(current, candidate) and \
                            self._try(candidate):  # fmt: skip
                        self.stats.accepted["column"] += 1
                        current = candidate
                        break
                else:
                    continue
                break
            else:
                return current

    def _structural(self, sql: str) -> Iterator[Candidate]:
        yield from lexical(sql)
        tree = self.grammar.tree(sql) if self.grammar else None
        if tree is not None:
            yield from structural(sql, tree)

    def _sweep(self, current: list[str], i: int,
               propose: Callable[[str], Iterator[Candidate]]) -> list[str]:  # fmt: skip
        """Try the edits of statement i in order; after an accepted one, resume at its place."""
        at = 0
        while True:
            sql = current[i]
            seen: set[str] = {sql}
            ordered = sorted((c for c in propose(sql) if c.at >= at),
                             key=lambda c: (c.at, len(c.text)))  # fmt: skip
            for c in ordered:
                if c.text in seen or not smaller(c.text, sql):
                    continue
                seen.add(c.text)
                trial = [*current[:i], c.text, *current[i + 1 :]]
                if self._admissible(current, trial) and self._try(trial):
                    self.stats.accepted[c.kind] += 1
                    current, at = trial, c.at
                    break
            else:
                return current

    # -- trials ----------------------------------------------------------------------------

    def _admissible(self, old: list[str], new: list[str]) -> bool:
        """A deterministic statement must stay deterministic (`determinism`: no LIMIT left
        without its total ORDER BY...). A statement the grammar parses must still parse; one
        it does not is left to the engine (the grammar may not know every construct yet)."""
        for before, after in zip(old, new, strict=True):
            if before != after and deterministic(before) and not deterministic(after):
                self.stats.nondeterministic += 1
                return False
        if self.grammar is None:
            return True
        for before, after in zip(old, new, strict=True):
            if before != after and self.grammar.tree(before) is not None and \
                    self.grammar.tree(after) is None:  # fmt: skip
                self.stats.unparsable += 1
                return False
        return True

    def _try(self, statements: list[str]) -> bool:
        if not statements:
            return False
        key = script_text(statements)
        if key in self._cache:
            self.stats.cached += 1
            return self._cache[key]
        if time.monotonic() > self._deadline:
            raise _OutOfTime
        self.stats.trials += 1
        found = self._cache[key] = bool(self.test(statements))
        if found:
            self._history.append(statements)
        return found

    def _verified(self) -> list[str]:
        """The smallest accepted script that shows the problem on every re-check."""
        for statements in reversed(self._history):
            self.stats.rechecks += 1
            if all(self.test(statements) for _ in range(self.rechecks)):
                return statements
            self._note("a reduction step did not reproduce; stepping back")
        return self._history[0]

    def _note(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


def reduce(statements: Sequence[str], test: Callable[[Sequence[str]], bool],
           dialect: str | None = None, **options: float) -> Reduction:  # fmt: skip
    """Reduce a script; `options` go to `Reducer` (max_time, rechecks)."""
    return Reducer(test, dialect, **options).reduce(statements)


__all__ = ["Grammar", "NotInteresting", "Reducer", "Reduction", "Stats", "reduce"]
