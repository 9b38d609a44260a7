"""Function fidelity: one call of the function library, on literals and edge values, on a
reference and on a target of the same dialect.

A compatible engine promises the same result for the same function call: the same value, the
same result type, and the same error for the same bad argument (`'0x1F'::int`, an overflow,
a date out of range). Full queries cannot compare data exceptions: which row or operand fails
first is the engine's choice. A single call whose arguments are all literals has one thing to
fail, so here the SQLSTATE is compared in full, class 22 included.

Each check draws one signature of the dialect's library (`fuzzer.functions`) and its
arguments: a typed NULL, an edge value (extreme integers, -0.0, NaN, empty and non-ASCII
strings...) or a pool value per expression argument, the library's own literals for the
arguments whose range matters. The call is evaluated in two ways, in turn: over the literals
written in place (`SELECT f(1, 'a')`, which a planner may fold), and over a one-row derived
table of them (`SELECT f(s.c0, s.c1) FROM (SELECT 1 AS c0, 'a' AS c1) AS s`, evaluated at run
time). The outcomes compare as the differential's do (`oracles.differential.compare`); a
profile's accepted divergences apply.
"""

from __future__ import annotations

from fuzzer import ast as A
from fuzzer.dialects import render
from fuzzer.functions import LITERALS, Signature
from fuzzer.generator import Generator
from fuzzer.generator.expressions import REPRESENTATIVE
from fuzzer.script import one_row
from oracles.base import Probe
from oracles.differential import Differential, Runtime

#: argument families a literal can stand for without a schema (an enum needs its type)
LITERAL_FAMILIES = frozenset(REPRESENTATIVE) - {"enum"}
#: the chance of a typed NULL, and of an edge value, for an expression argument
NULL_CHANCE = 0.1
EDGE_CHANCE = 0.4
VARIANTS = ("const", "row")


class FunctionFidelity(Differential):
    name = "expr"
    description = (
        "Function fidelity: a function called on literal arguments returns another value, "
        "result type or error (SQLSTATE) than on a reference engine of the same dialect."
    )
    by_default = False

    @property
    def portable(self) -> bool:
        return False  # the whole library: it runs only between engines of one dialect

    @property
    def applies(self) -> bool:
        return self.context.reference == self.context.dialect

    def runtime(self, probe: Probe) -> Runtime:
        return "full"  # one call over literals: nothing else to fail first

    def draw(self, generator: Generator, turn: int) -> list[Probe]:
        if not self.applies:
            return []
        calls = sorted({s.name for sigs in generator.functions.scalars.values() for s in sigs
                        if _callable(s)})  # fmt: skip
        if not calls:
            return []
        rng = generator.rng
        name = rng.choice(calls)
        sig = rng.choice([s for sigs in generator.functions.scalars.values() for s in sigs
                          if s.name == name and _callable(s)])  # fmt: skip
        values = [_argument(generator, spec) for spec in sig.args]
        variant = VARIANTS[turn % len(VARIANTS)]
        query = _const(sig, values) if variant == "const" else _row(sig, values)
        reference = self.context.reference
        assert reference is not None
        return [Probe(self.name, variant, (self.render(query),), about=query,
                      reference_queries=(render(query, reference),), ordered=True)]

    def from_text(self, sql: str) -> list[Probe]:
        """A user's query is checked as a call is when it reads one row (`SELECT f(...)`)."""
        if not one_row(sql):
            return []
        probe = self.text_probe("const", [sql], sql)
        return [Probe(self.name, "const", probe.queries, probe.features,
                      reference_queries=(sql,), ordered=True)]


def _callable(sig: Signature) -> bool:
    """A scalar call whose arguments literals can be (and whose result is theirs alone)."""
    return sig.deterministic and all(f in LITERAL_FAMILIES for f in sig.families)


def _argument(generator: Generator, spec: str) -> A.Literal:
    """The literal for one argument: the library's own kinds, else NULL, edge or pool."""
    if spec.startswith("lit:"):
        t, choices = LITERALS[spec[4:]]
        return A.Literal(generator.rng.choice(choices), t)
    t = REPRESENTATIVE[spec.split(":")[-1]]
    draw = generator.rng.random()
    if draw < NULL_CHANCE:
        return A.Literal(None, t)
    if draw < NULL_CHANCE + EDGE_CHANCE and t.element is None and t.kind != "range":
        return A.Literal(generator.values.edge(t), t)  # (arrays and ranges: their elements')
    return A.Literal(generator.values.value(t, edges=draw < NULL_CHANCE + EDGE_CHANCE), t)


def _call(sig: Signature, args: list[A.Expr]) -> A.Func:
    spelled = [A.Func("ABS", (a,)) if spec.startswith("abs:") else a
               for spec, a in zip(sig.args, args, strict=True)]  # fmt: skip
    return A.Func(sig.name, tuple(spelled))


def _const(sig: Signature, values: list[A.Literal]) -> A.Select:
    """`SELECT f(literals) AS v`: the call as a planner sees constants."""
    return A.Select((A.SelectItem(_call(sig, list(values)), "v"),))


def _row(sig: Signature, values: list[A.Literal]) -> A.Select:
    """The call over a one-row derived table of its expression arguments (the library's
    literal arguments stay literals: they are formats and keywords)."""
    items, args = [], []
    for spec, value in zip(sig.args, values, strict=True):
        if spec.startswith("lit:"):
            args.append(value)
        else:
            column = f"c{len(items)}"
            items.append(A.SelectItem(value, column))
            args.append(A.ColumnRef("s", column))
    if not items:
        return _const(sig, values)
    source = A.DerivedTable(A.Select(tuple(items)), "s")
    return A.Select((A.SelectItem(_call(sig, args), "v"),), from_=(source,))
