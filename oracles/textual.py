"""Oracle probes built from a query's text, for queries a person wrote (`fuzz check`).

The fuzzer builds probes from syntax trees; a user's suspicious query arrives as text in any
dialect. Its top-level clauses are located by `fuzzer.script.clauses` and the partitions are
spliced in around the user's own predicate, which is never re-spelled: the engine sees the
user's SQL, parenthesised. TLP and NoREC take the query's WHERE predicate as p (for HAVING
queries, the HAVING predicate). The judges are the same as for generated probes.
"""

from __future__ import annotations

from fuzzer.script import Clauses, clauses, features
from oracles.base import Probe


def _partitions(p: str) -> tuple[str, str, str]:
    return f"({p})", f"NOT ({p})", f"({p}) IS NULL"


def _probe(oracle: str, variant: str, queries: list[str], about: str) -> Probe:
    return Probe(oracle, variant, tuple(queries), tuple(sorted(features(about))))


def tlp(sql: str) -> list[Probe]:
    c = clauses(sql)
    if c is None or c.set_operation or c.limited:
        return []
    s = c.sql
    if c.having is not None and c.having_keyword is not None and c.group_by is not None:
        p = c.text(c.having)
        base = s[: c.having_keyword] + " " + s[c.having[1] : c.tail]
        parts = [s[: c.having_keyword] + f" HAVING {part} " + s[c.having[1] : c.tail]
                 for part in _partitions(p)]  # fmt: skip
        return [_probe("tlp", "having", [base, *parts], sql)]
    if c.where is None or c.where_keyword is None:
        return []
    p = c.text(c.where)
    head, rest = s[: c.where_keyword], s[c.where[1] : c.tail]
    base = f"{head} {rest}"
    parts = [f"{head} WHERE {part} {rest}" for part in _partitions(p)]
    aggregate = c.single_aggregate
    if c.group_by is not None:
        if aggregate is not None or _has_call(c):
            return []
        return [_probe("tlp", "group-by", [base, *parts], sql)]
    if aggregate is not None:
        name, arg = aggregate
        if name in ("SUM", "AVG"):  # the judge needs the count and the magnitude too
            prefix, source = s[: c.prefix_end], c.text(c.from_)
            items = ", ".join(f"{f}({arg})" for f in ("SUM", "COUNT", "MIN", "MAX"))
            parts = [f"{prefix}SELECT {items} FROM {source} WHERE {part}"
                     for part in _partitions(p)]  # fmt: skip
        return [_probe("tlp", f"aggregate:{name.lower()}", [base, *parts], sql)]
    if _has_call(c):
        return []  # an aggregate or window among other items: no variant recombines it
    return [_probe("tlp", "distinct" if c.distinct else "where", [base, *parts], sql)]


def _has_call(c: Clauses) -> bool:
    """Aggregates or windows in the select list: conservatively, any known aggregate name."""
    names = {f.removeprefix("func:") for f in features(c.text(c.select_list))}
    aggregate_names = {"count", "sum", "min", "max", "avg", "total", "group_concat",
                       "string_agg", "array_agg", "list", "bool_and", "bool_or", "every",
                       "stddev", "variance", "median"}  # fmt: skip
    return bool(names & aggregate_names) or "kw:OVER" in features(c.text(c.select_list))


def norec(sql: str) -> list[Probe]:
    c = clauses(sql)
    if c is None or c.set_operation or c.where is None or c.from_ is None:
        return []
    if c.group_by is not None or c.having is not None:
        return []
    prefix, source, p = c.sql[: c.prefix_end], c.text(c.from_), c.text(c.where)
    optimised = f"{prefix}SELECT COUNT(*) FROM {source} WHERE {p}"
    unoptimised = f"{prefix}SELECT SUM(CASE WHEN {p} THEN 1 ELSE 0 END) FROM {source}"
    return [_probe("norec", "count", [optimised, unoptimised], sql)]


BUILDERS = {"tlp": tlp, "norec": norec}
