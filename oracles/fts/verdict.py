"""The fts oracle's verdict on one check: each text query's runs against each other and
against the rows its reference evaluator selects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from oracles.base import Discrepancy, Skip


@dataclass(frozen=True)
class Run:
    """One execution of a text query: under which plan or spelling, its SQL, its row ids."""

    plan: str
    sql: str
    ids: tuple[int, ...]  # as returned
    #: the ids must come in this order: "asc", "desc"; "" when the query orders nothing
    order: str = ""


@dataclass
class Answers:
    """Every run of one text query, and the rows the evaluator selects (None: it could not
    tell: an unsupported query, a token it cannot read)."""

    query: str  # the text query as the engine shows it
    runs: list[Run] = field(default_factory=list)
    expected: tuple[int, ...] | None = None


def _side(run: Run, ids: Iterable[int] | None = None) -> dict[str, object]:
    return {"query": run.sql, "plan": run.plan, "rows": sorted(run.ids if ids is None else ids)}


def verdict(answers: Iterable[Answers]) -> Discrepancy | None:
    """The first wrong run: out of its order, or with other rows than the evaluator's (or,
    without one, than the query's first run: "plans", the runs disagree). A run is wrong *for
    its plan* ("plan") when another run of its query has the evaluator's rows, else the query
    language is ("eval"). Each is a variant of its own, so that a reduction keeps what the
    finding showed (the evaluator's tokens among it)."""
    judged = 0
    for answer in answers:
        if not answer.runs:
            continue
        judged += 1
        for run in answer.runs:
            if run.order and list(run.ids) != sorted(run.ids, reverse=run.order == "desc"):
                return Discrepancy(
                    sorted(run.ids, reverse=run.order == "desc"),
                    list(run.ids),
                    f"{answer.query}: rows out of rowid {run.order.upper()} order with {run.plan}",
                    variant="order",
                )
        right = answer.expected
        if right is None:
            right = tuple(sorted(answer.runs[0].ids))
        for run in answer.runs:
            got = tuple(sorted(run.ids))
            if got == right:
                continue
            others = any(tuple(sorted(r.ids)) == right for r in answer.runs)
            who = "the first run" if answer.expected is None else "the query language"
            return Discrepancy(
                {"query": run.sql, "rows": list(right)},
                _side(run),
                f"{answer.query}: {len(got)} rows with {run.plan}, {who} selects {len(right)}",
                variant="plans" if answer.expected is None else "plan" if others else "eval",
            )
    if not judged:
        raise Skip("no text query ran")
    return None


__all__ = ["Answers", "Run", "verdict"]
