"""Cross-engine differential: the same statement on a reference engine and on a target.

Semantic fidelity is the promise a compatible engine makes: same rows, same result types, same
errors. Per statement the two outcomes are compared in this order: success against error, the
portable error class (SQLSTATE) when both fail, the rows (as multisets, or as lists when the
query's ORDER BY fixes the order of every row), and, between engines of one dialect, the
result column types. A data exception is compared, by class, only in a query that reads one
row. A setup statement that one engine accepts and the other rejects is a `setup` finding
(`setup_finding`; the job's session finds and confirms it). A target's documented, accepted
divergences live in a profile (TOML) so that they are not reported again and again.

The differential needs a reference engine. In `fuzz run` it takes every other check, on a
query drawn in the generator's portable mode when the two dialects differ (with NULLs placed
explicitly wherever ORDER BY leaves them to the engine); in `fuzz check` it runs the user's
query as written on both engines.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fuzzer.dialects import get as get_dialect
from fuzzer.dialects import render
from fuzzer.engines import Engine, Failure, Outcome, Rows
from fuzzer.errors import ErrorCategory
from fuzzer.generator import Generator
from fuzzer.script import one_row
from oracles.base import Context, Discrepancy, Oracle, Probe, Skip
from oracles.compare import canonical_rows, jsonable, lists_equal, multisets_equal
from oracles.finding import EngineInfo, Finding
from oracles.problem import problem_of
from oracles.shape import explicit_nulls, order_items, total_order

if TYPE_CHECKING:
    from oracles.pipeline import Setup

#: Errors that are not compared. Timeouts, limits, lost connections and a client library's
#: own failure (a value it cannot convert) say nothing about a statement's meaning; a
#: data-dependent error (division by zero, overflow, a bad cast) depends on which row the plan
#: reaches first and on which operand of AND it evaluates first, which SQL leaves to each
#: engine: it is compared only where no such choice exists (`Runtime`).
UNCOMPARABLE = {
    ErrorCategory.TIMEOUT,
    ErrorCategory.RESOURCE,
    ErrorCategory.CONNECTION,
    ErrorCategory.RUNTIME,
    ErrorCategory.DRIVER,
}

#: When a runtime error (a data exception, class 22, and its like) is compared: never (the
#: failing row or operand is the engine's choice); by its SQLSTATE class, when every row and
#: operand the query evaluates is fixed but several of them might fail (a full query over one
#: row); in full, when one call over literals is all there is to fail (the expr oracle).
Runtime = Literal["never", "class", "full"]


#: How a target's answer may differ: one side failed, both failed differently, other rows,
#: other result column types; or one side rejected a statement that builds the state.
VARIANTS = ("error", "sqlstate", "rows", "types", "setup")


@dataclass(frozen=True)
class Divergence:
    variant: str  # one of VARIANTS
    discrepancy: Discrepancy


@dataclass(frozen=True)
class Accepted:
    """One accepted divergence of a profile; every field given must match."""

    variant: str | None = None
    feature: str | None = None  # a feature of the query, e.g. "func:regexp_replace"
    reference_sqlstate: str | None = None
    target_sqlstate: str | None = None
    message: str | None = None  # a regular expression searched in the target's error message
    reason: str = ""

    def matches(self, d: Divergence, features: tuple[str, ...], target: Outcome) -> bool:
        ref_state, tgt_state = d.discrepancy.expected, d.discrepancy.actual
        checks = [
            self.variant is None or self.variant == d.variant,
            self.feature is None or self.feature in features,
            self.reference_sqlstate is None or _state(ref_state) == self.reference_sqlstate,
            self.target_sqlstate is None or _state(tgt_state) == self.target_sqlstate,
            self.message is None
            or (isinstance(target, Failure) and re.search(self.message, target.message)),
        ]
        return all(checks)


#: the failures a setup statement splits the engines by: the statement was understood
#: (compile), or ran on data the other engine took (runtime, constraint)
SPLITS = frozenset({ErrorCategory.COMPILE, ErrorCategory.RUNTIME, ErrorCategory.CONSTRAINT,
                    ErrorCategory.OTHER})  # fmt: skip


def _state(side: object) -> str | None:
    return side.get("sqlstate") if isinstance(side, dict) else None


@dataclass(frozen=True)
class Profile:
    """What a target is known and accepted to do differently from its reference."""

    name: str = "strict"
    accepted: tuple[Accepted, ...] = field(default_factory=tuple)
    compare_types: bool = True
    #: `varchar(1)` against `varchar`, `numeric(10, 2)` against `numeric`: the same type
    type_modifiers: bool = True

    @classmethod
    def load(cls, path: Path) -> Profile:
        """The profile a TOML file holds; ValueError, saying what is wrong where, if none."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: not a readable TOML profile: {exc}") from None
        unknown = set(data) - {"name", "accept", "compare_types", "type_modifiers"}
        if unknown:
            raise ValueError(f"{path}: unknown profile keys: {', '.join(sorted(unknown))}")
        known = {f.name for f in fields(Accepted)}
        entries = data.get("accept", [])
        if not isinstance(entries, list) or not all(isinstance(a, dict) for a in entries):
            raise ValueError(f"{path}: `accept` must be a list of [[accept]] tables")
        for n, entry in enumerate(entries, start=1):
            wrong = set(entry) - known
            if wrong:
                raise ValueError(f"{path}: [[accept]] number {n} has unknown keys: "
                                 f"{', '.join(sorted(wrong))} (known: {', '.join(sorted(known))})")
            if entry.get("variant") not in (None, *VARIANTS):
                raise ValueError(f"{path}: [[accept]] number {n}: variant must be one of "
                                 f"{', '.join(VARIANTS)}")
        return cls(
            name=data.get("name", path.stem),
            accepted=tuple(Accepted(**a) for a in entries),
            compare_types=bool(data.get("compare_types", True)),
            type_modifiers=bool(data.get("type_modifiers", True)),
        )

    def accepts(self, d: Divergence, features: tuple[str, ...], target: Outcome) -> bool:
        return any(a.matches(d, features, target) for a in self.accepted)


def _side(outcome: Outcome) -> dict:
    if isinstance(outcome, Failure):
        return {"sqlstate": outcome.sqlstate, "error": outcome.message.splitlines()[0]}
    return {"rows": len(outcome.rows)}


def compare(
    reference: Outcome, target: Outcome, *, ordered: bool, compare_types: bool,
    type_modifiers: bool = True, runtime: Runtime = "never",
) -> Divergence | None:
    """How the target's answer differs from the reference's, if it does."""
    for outcome in (reference, target):
        if isinstance(outcome, Failure) and outcome.category in UNCOMPARABLE and not (
            outcome.category is ErrorCategory.RUNTIME and runtime != "never"
        ):
            return None
    if isinstance(reference, Failure) or isinstance(target, Failure):
        if isinstance(reference, Failure) and isinstance(target, Failure):
            width = 2 if runtime == "class" and _runtime(reference) and _runtime(target) else 5
            if reference.sqlstate[:width] == target.sqlstate[:width]:
                return None
            return Divergence("sqlstate", Discrepancy(_side(reference), _side(target)))
        return Divergence("error", Discrepancy(_side(reference), _side(target)))
    assert isinstance(reference, Rows) and isinstance(target, Rows)
    ref_rows, tgt_rows = canonical_rows(reference.rows), canonical_rows(target.rows)
    same = lists_equal(ref_rows, tgt_rows) if ordered else multisets_equal(ref_rows, tgt_rows)
    if not same:
        if not ordered:
            ref_rows, tgt_rows = sorted(ref_rows, key=repr), sorted(tgt_rows, key=repr)
        return Divergence("rows", Discrepancy(jsonable(ref_rows), jsonable(tgt_rows)))
    ref_types = [c.type for c in reference.columns]
    tgt_types = [c.type for c in target.columns]
    spelled = (lambda t: t) if type_modifiers else _without_modifiers
    # "" is a type the driver did not name (an old release's): it compares with nothing
    differs = len(ref_types) != len(tgt_types) or any(
        r and t and spelled(r) != spelled(t) for r, t in zip(ref_types, tgt_types, strict=False)
    )
    if compare_types and differs:
        return Divergence("types", Discrepancy(ref_types, tgt_types))
    return None


def _runtime(failure: Failure) -> bool:
    return failure.category is ErrorCategory.RUNTIME


def _without_modifiers(type_name: str) -> str:
    """A type's name without its length, precision or scale: `varchar(1)` is `varchar`."""
    return re.sub(r"\s*\([^)]*\)", "", type_name).strip().lower()


class Differential(Oracle):
    name = "diff"
    description = (
        "Differential testing: another engine returns a different result for the same query."
    )
    needs_reference = True

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.profile = context.profile or Profile()
        #: result column types compare only between engines of one dialect
        self.compare_types = self.profile.compare_types and context.reference == context.dialect

    @property
    def portable(self) -> bool:
        return self.context.reference is not None and self.context.reference != self.context.dialect

    @classmethod
    def symptom_of(cls, finding: Finding) -> str:
        """The kind of divergence, with its direction, SQLSTATE pair and column types: an
        error on the target and one on the reference are two bugs."""
        problem = problem_of(finding)
        types = [f"{e}/{a}" for _, e, a in problem.columns if e or a]
        states = [s or "-" for s in problem.sqlstates] if problem.variant != "rows" else []
        return " ".join([cls.name, problem.variant, *states, *types])

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        query = generator.query()
        reference = self.context.reference
        assert reference is not None
        if self.portable:
            dialects = (self.context.dialect, reference)
            spell_nulls = all(get_dialect(d).capabilities.nulls_order for d in dialects)
            if not spell_nulls and order_items(query):
                return []  # no way to make both engines put NULLs in the same place
            query = explicit_nulls(query)
        return [
            Probe(
                self.name,
                "",
                (self.render(query),),
                about=query,
                reference_queries=(render(query, reference),),
                ordered=total_order(query),
            )
        ]

    def from_text(self, sql: str) -> list[Probe]:
        # unordered: only a syntax tree can tell that ORDER BY fixes every row's place
        probe = self.text_probe("", [sql], sql)
        return [Probe(probe.oracle, "", probe.queries, probe.features, reference_queries=(sql,))]

    def judge(
        self, probe: Probe, outcomes: Sequence[Outcome], reference: Sequence[Outcome] = ()
    ) -> Discrepancy | None:
        """Judged when both engines answered or the answers differ (an error on one side only
        is a divergence); skipped when both failed alike or an error was set aside on purpose."""
        (ref,), (target,) = reference, outcomes
        d = compare(ref, target, ordered=probe.ordered, compare_types=self.compare_types,
                    type_modifiers=self.profile.type_modifiers, runtime=self.runtime(probe))
        if d is None:
            if ref.ok and target.ok:
                return None
            raise Skip("both engines failed alike, or an error that is never compared")
        if self.profile.accepts(d, self.shape(probe), target):
            return None
        return Discrepancy(d.discrepancy.expected, d.discrepancy.actual, variant=d.variant)

    def runtime(self, probe: Probe) -> Runtime:
        """Runtime errors are compared, by class, when the query reads one row on both sides:
        no row order or plan then picks which row fails (see `fuzzer.script.one_row`); and
        only between engines of one dialect: across dialects, what fails at run time (an
        integer overflow SQLite turns into a float) is each dialect's own rule."""
        if self.context.reference != self.context.dialect:
            return "never"
        texts = (*probe.queries, *probe.reference_queries)
        return "class" if texts and all(one_row(q) for q in texts) else "never"

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
        assert reference is not None and seen.variant is not None
        extra = dict(more.pop("extra", {}))
        (query,), (reference_query,) = probe.queries, probe.reference_queries
        if list(reference_setup) != list(setup) or reference_query != query:
            extra.update(reference_setup=list(reference_setup), reference_query=reference_query)
        return Finding(
            oracle=self.name,
            variant=seen.variant,
            engine=EngineInfo.of(target),
            reference=EngineInfo.of(reference),
            setup=tuple(setup),
            queries=probe.queries,
            expected=seen.expected,
            actual=seen.actual,
            features=self.shape(probe),
            title=f"{self.name} {seen.variant}: {target.name} differs from {reference.name}",
            extra=extra,
            **more,
        )


def setup_finding(
    target: Engine, reference: Engine, before: Setup, statement: tuple[str, str],
    outcomes: tuple[Outcome, Outcome], features: tuple[str, ...], profile: Profile, **more: Any,
) -> Finding | None:
    """The `diff/setup` finding of a setup statement (as the target and the reference spell
    it), which one engine accepted and the other rejected after the statements `before`;
    None when the profile accepts it. `outcomes`: the target's, then the reference's. Its
    features are the statement's kind and the feature it is reported by, so that it is one
    finding however many states split on it."""
    target_outcome, reference_outcome = outcomes
    seen = Divergence("setup", Discrepancy(_side(reference_outcome), _side(target_outcome)))
    if profile.accepts(seen, features, target_outcome):
        return None
    rejected = "target" if not target_outcome.ok else "reference"
    extra: dict[str, Any] = {"statement_kind": features[0], "feature": features[-1],
                             "rejected_by": rejected}  # fmt: skip
    if list(before.reference) != list(before.target) or statement[1] != statement[0]:
        extra.update(reference_setup=list(before.reference), reference_query=statement[1])
    return Finding(
        oracle="diff",
        variant="setup",
        engine=EngineInfo.of(target),
        reference=EngineInfo.of(reference),
        setup=tuple(before.target),
        queries=(statement[0],),
        expected=seen.discrepancy.expected,
        actual=seen.discrepancy.actual,
        features=tuple(sorted(set(features))),
        title=f"diff setup: the {rejected} rejects {features[0]} with {features[-1]}",
        extra=extra,
        **more,
    )
