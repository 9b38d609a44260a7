"""Full-text search (`--oracle fts`): an index must find what the text search semantics find.

Each check builds its own small table of documents (`fts_docs`), from a word pool with stems,
stop words, repeats, hyphenated and non-ASCII words, indexes it, changes it (inserts after the
index, updates, deletes, index maintenance), runs a few generated text queries, and drops it.
Two things must agree, query by query:

- the query's rows under every plan the engine can be steered to (sequential scan, bitmap and
  plain index scans; the MATCH, `=` and table-valued spellings of FTS5, in rowid order, in
  rowid DESC order, by rank, restricted by rowid or column);
- those rows and a reference evaluator of the query language (`oracles.tsquery`,
  `oracles.fts5match`) applied to the engine's own tokens: the `::text` of its `to_tsvector`
  and `to_tsquery` output, or its `fts5vocab` instances. Parsing and stemming stay the
  engine's; matching (prefix, weights, negation, phrase and NEAR distances, column filters) is
  what is checked.

A query the evaluator refuses (`Unsupported`: what the manual leaves open) is still compared
across plans. What the engine supports is the dialect's `full_text` capability, which names
the back-end; without one the oracle draws nothing. A finding's table and data go to its
setup, so the reducer shrinks the documents like any other rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from fuzzer.dialects import get
from fuzzer.engines import Engine, Outcome, Rows
from fuzzer.generator import Generator
from oracles.base import Discrepancy, Oracle, Probe, Skip
from oracles.finding import Finding
from oracles.fts import fts5, tsearch

#: the first words of the statements that build a check's table (its setup)
BUILD_VERBS = ("CREATE", "INSERT", "UPDATE", "DELETE", "DROP")


class Backend(Protocol):
    """One engine's full-text search: how a check is drawn, read back and judged."""

    def draw(self, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
        """The build statements, the checking queries and the teardown of one check."""
        ...

    def checks(self, sql: str) -> list[str] | None:
        """The checking queries for a user's query over the oracle's table; None: none."""
        ...

    def judge(self, queries: Sequence[str], outcomes: Sequence[Outcome]) -> Discrepancy | None:
        """The checking queries' verdict; raises Skip when nothing could be judged."""
        ...

    def is_run(self, sql: str) -> bool:
        """Is this checking query a run of a text query (not a read of the tokens)?"""
        ...


BACKENDS: dict[str, Backend] = {"tsearch": tsearch.TextSearch(), "fts5": fts5.FTS5()}


def backend_of(searches: Sequence[str]) -> Backend | None:
    """The first of an engine's full-text searches that the oracle has a back-end for."""
    return next((BACKENDS[s] for s in searches if s in BACKENDS), None)


def split(queries: Sequence[str]) -> tuple[int, int]:
    """Where a probe's build ends and its teardown begins."""
    start = 0
    while start < len(queries) and _verb(queries[start]) in BUILD_VERBS:
        start += 1
    end = len(queries)
    while end > start and _verb(queries[end - 1]) == "DROP":
        end -= 1
    return start, end


def _verb(statement: str) -> str:
    words = statement.lstrip().split(None, 1)
    return words[0].upper() if words else ""


class FTS(Oracle):
    name = "fts"
    symptom = "wrong rows"
    description = (
        "Full-text search: a text query must return the same rows under every plan (index "
        "scans, sequential scan, each spelling of the match) and exactly the rows that the "
        "query language's semantics select from the engine's own tokens of each document."
    )
    #: not in the default rotation: it checks its own table, not the state's
    by_default = False

    @property
    def backend(self) -> Backend | None:
        return backend_of(get(self.context.dialect).capabilities.full_text)

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        backend = backend_of(generator.caps.full_text)
        if backend is None:
            return []
        build, checks, teardown = backend.draw(generator.rng)
        return [Probe(self.name, "match", (*build, *checks, *teardown))]

    def from_text(self, sql: str) -> list[Probe]:
        backend = self.backend
        checks = backend.checks(sql.strip().rstrip(";")) if backend is not None else None
        if not checks:
            return []
        return [self.text_probe("match", checks, sql)]

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        backend = self.backend
        if backend is None:
            raise Skip("the engine has no full-text search the oracle knows")
        start, end = split(probe.queries)
        for statement, outcome in zip(probe.queries[:start], outcomes, strict=False):
            if not outcome.ok and _verb(statement) != "DROP":
                raise Skip(f"the table was not built: {statement}")
        return backend.judge(probe.queries[start:end], outcomes[start:end])

    def returned_rows(self, probe: Probe, outcomes: Sequence[Outcome]) -> bool:
        """Some run of a text query found documents."""
        backend = self.backend
        return backend is not None and any(
            isinstance(o, Rows) and o.rows and backend.is_run(q)
            for q, o in zip(probe.queries, outcomes, strict=False)
        )

    def finding(
        self,
        probe: Probe,
        seen: Discrepancy,
        target: Engine,
        reference: Engine | None,
        setup: Sequence[str],
        reference_setup: Sequence[str] = (),
        **more: Any,
    ) -> Finding:
        """The table's statements join the setup (without the leading DROP, for a fresh
        database); the finding's queries are the checks alone."""
        start, end = split(probe.queries)
        build = [q for q in probe.queries[:start] if _verb(q) != "DROP"]
        checks = replace(probe, queries=probe.queries[start:end])
        return super().finding(checks, seen, target, reference, [*setup, *build], **more)

    @classmethod
    def case_query(cls, finding: Finding) -> str:
        """The text query that showed the discrepancy, as its judge names it."""
        for side in (finding.actual, finding.expected):
            if isinstance(side, dict) and "query" in side:
                return str(side["query"])
        return finding.queries[-1]


__all__ = ["BACKENDS", "FTS", "Backend", "backend_of", "split"]
