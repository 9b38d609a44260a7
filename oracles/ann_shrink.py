"""Reduction of a vector-index case (ann-invariants, ann-recall): fewer queries, statements,
rows and dimensions, while a replay still shows the problem.

A vector case is no script the generic reducer may edit: its table is built inside the probe,
after pgvector is installed, and its meaning is in the numbers. A token pass would cut a
vector literal in half; dropping a dimension means dropping the same coordinate from every
vector, the table's type and the query's vector at once. So the ann oracles shrink their own
probes (`Oracle.reduce`), in passes repeated until none helps: the k-NN query blocks (ddmin),
the statements around them one by one (a later insert, an update, a delete), the rows of
each multi-row INSERT (ddmin), and each dimension. Every trial is a whole probe checked and
confirmed once from an empty scratch space, so a flaky trial does not steer the reduction;
the result is checked again with the pipeline's full confirmations.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fuzzer.engines import Engine
from fuzzer.reduce import NotInteresting, Reduction, Stats
from fuzzer.reduce.ddmin import ddmin
from fuzzer.reduce.reducer import count_tokens, script_text
from oracles.base import Oracle, Probe
from oracles.finding import Finding
from oracles.pipeline import Pipeline, Setup

#: the statements `oracles.ann.plans` wraps around one k-NN query
BLOCK_START, BLOCK_END = "SET jit = off", "RESET jit"
_VECTOR = re.compile(r"'\[([^'\]]*)\]'")
_TYPE = re.compile(r"vector\((\d+)\)")


class _OutOfTime(Exception):
    pass


def values(statement: str) -> tuple[str, list[str]] | None:
    """A multi-row INSERT's head (up to VALUES) and its row tuples; None for another."""
    head, sep, rest = statement.partition(" VALUES ")
    if not sep or not head.startswith("INSERT"):
        return None
    rows: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(rest):
        if ch == "'":
            quoted = not quoted  # '' inside a string toggles twice
        elif not quoted and ch == "(":
            depth += 1
            start = i if depth == 1 else start
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                rows.append(rest[start : i + 1])
    return head + sep, rows


def without_dimension(queries: Sequence[str], j: int) -> list[str]:
    """Every vector without its coordinate `j`, and every `vector(n)` one narrower."""

    def cut(m: re.Match[str]) -> str:
        parts = m.group(1).split(",")
        return "'[" + ",".join(p for i, p in enumerate(parts) if i != j) + "]'"

    def narrower(m: re.Match[str]) -> str:
        return f"vector({int(m.group(1)) - 1})"

    return [_TYPE.sub(narrower, _VECTOR.sub(cut, q)) for q in queries]


def dimension(queries: Sequence[str]) -> int:
    return max((int(m.group(1)) for q in queries for m in _TYPE.finditer(q)), default=0)


def blocks(queries: Sequence[str]) -> tuple[list[str], list[list[str]], list[str]]:
    """The statements before the first k-NN block, the blocks, and those after the last."""
    starts = [i for i, q in enumerate(queries) if q == BLOCK_START]
    ends = [i for i, q in enumerate(queries) if q == BLOCK_END]
    if not starts or len(starts) != len(ends):
        return list(queries), [], []
    groups = [list(queries[s : e + 1]) for s, e in zip(starts, ends, strict=True)]
    return list(queries[: starts[0]]), groups, list(queries[ends[-1] + 1 :])


@dataclass
class Shrinker:
    """The passes, over a test that says whether a candidate still shows the problem."""

    test: Callable[[list[str]], bool]
    max_time: float | None = None
    progress: Callable[[str], None] | None = None
    trials: int = 0
    cached: int = 0
    timed_out: bool = False
    current: list[str] = field(default_factory=list)
    _seen: dict[tuple[str, ...], bool] = field(default_factory=dict)
    _began: float = field(default_factory=time.monotonic)

    def holds(self, queries: Sequence[str]) -> bool:
        key = tuple(queries)
        if key in self._seen:
            self.cached += 1
            return self._seen[key]
        if self.max_time is not None and time.monotonic() - self._began > self.max_time:
            self.timed_out = True
            raise _OutOfTime
        self.trials += 1
        self._seen[key] = self.test(list(queries))
        return self._seen[key]

    def accept(self, queries: Sequence[str], what: str) -> bool:
        """Take `queries` when they still show the problem."""
        if not self.holds(queries):
            return False
        self.current = list(queries)
        if self.progress is not None:
            self.progress(f"{what}: {len(script_text(self.current))} bytes")
        return True

    def shrink(self, queries: Sequence[str]) -> list[str]:
        self.current = list(queries)
        try:
            while True:
                before = self.current
                for step in (self._blocks, self._statements, self._rows, self._dimensions):
                    step()
                if self.current == before:
                    break
        except _OutOfTime:
            pass
        return self.current

    def _blocks(self) -> None:
        head, groups, tail = blocks(self.current)
        if len(groups) < 2:
            return

        def test(kept: list[list[str]]) -> bool:
            return self.accept([*head, *(q for g in kept for q in g), *tail], "fewer queries")

        ddmin(groups, test)

    def _statements(self) -> None:
        i = 0
        while True:
            head, _, tail = blocks(self.current)
            end = len(self.current)
            outside = [*range(len(head)), *range(end - len(tail), end)]
            if i >= len(outside):
                return
            j = outside[i]
            if not self.accept(self.current[:j] + self.current[j + 1 :], "a statement dropped"):
                i += 1

    def _rows(self) -> None:
        for i in range(len(self.current)):
            parsed = values(self.current[i])
            if parsed is None or len(parsed[1]) < 2:
                continue
            head, rows = parsed

            def test(kept: list[str], i: int = i, head: str = head) -> bool:
                statement = head + ", ".join(kept)
                return self.accept([*self.current[:i], statement, *self.current[i + 1 :]],
                                   f"{len(kept)} rows")  # fmt: skip

            ddmin(rows, test)

    def _dimensions(self) -> None:
        for j in reversed(range(dimension(self.current))):
            if dimension(self.current) > 1:
                self.accept(without_dimension(self.current, j), "a dimension dropped")


def reduce_probe(
    oracle: Oracle,
    variant: str,
    statements: Sequence[str],
    target: Engine,
    like: Finding | None,
    max_time: float | None,
    progress: Callable[[str], None] | None,
) -> Reduction:
    """`oracle`'s case (a stored finding's probe, else the statements: a probe of `variant`)
    shrunk while a replay shows a finding of the same variant; then the confirmed finding."""
    began = time.monotonic()
    queries = list(like.queries) if like is not None else list(statements)

    def shows(candidate: Sequence[str], final: bool = False) -> Finding | None:
        target.reset()
        probe = Probe(oracle.name, variant, tuple(candidate))
        pipeline = Pipeline(target) if final else Pipeline(target, confirmations=1)
        return pipeline.check(oracle, probe, Setup(())).finding

    first = shows(queries)
    if first is None or (like is not None and first.variant != like.variant):
        raise NotInteresting(f"no {like.variant if like else oracle.name} finding on a replay")
    kind = first.variant
    shrinker = Shrinker(lambda c: (f := shows(c)) is not None and f.variant == kind,
                        max_time, progress)  # fmt: skip
    reduced = shrinker.shrink(queries)
    stats = Stats(
        statements_before=len(queries), statements_after=len(reduced),
        tokens_before=count_tokens(queries), tokens_after=count_tokens(reduced),
        bytes_before=len(script_text(queries)), bytes_after=len(script_text(reduced)),
        trials=shrinker.trials, cached=shrinker.cached, timed_out=shrinker.timed_out,
    )  # fmt: skip
    final = shows(reduced, final=True)
    stats.seconds = time.monotonic() - began
    return Reduction(reduced, stats, final)


__all__ = ["Shrinker", "blocks", "reduce_probe", "values", "without_dimension"]
