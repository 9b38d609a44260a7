"""The root-cause signature: one bug, one finding, however it was hit.

A signature names a bug by what stays when the case shrinks to its core: the engine (and the
reference engine of a differential), the symptom (`Oracle.symptom_of`: "wrong rows" for TLP,
NoREC, DQP and plancache alike, the kind of divergence with its SQLSTATE pair and column types
for the differential) and the constructs of the case, named in the text's vocabulary
(`fuzzer.script.features`), without names, literals or statement order:

- of the query the oracle checked, as a user would write it (`Oracle.case_query`); only its
  FROM, WHERE, GROUP BY and HAVING clauses for oracles whose select list is their own
  scaffold (`Oracle.signed_clauses`: TLP's SUM and COUNT variants, NoREC's COUNT(*));
- of a reduced case's setup statements other than CREATE TABLE and INSERT (indexes, views,
  updates...), prefixed `setup:`, with the kind of each (an unreduced case's setup is the
  random state's, not the bug's);
- of those, the ones the oracle says name the bug (`Oracle.root_of`: a crash's are the
  crashing statement's functions, else its operators, else its clauses).

Signed from an unreduced case, two hits of one bug may differ; signed from the reduced case
they coincide, and the store merges their findings (`triage.store.Store.keep_reduced`).
The version is part of the signature: a store signed by an older version is re-signed.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Iterable

from fuzzer.script import ScriptError, clauses, tokens
from fuzzer.script import features as text_features
from oracles.finding import Finding

#: bump when what a signature hashes changes; stores re-sign their findings (a migration)
VERSION = 3

#: setup statements every case has: their constructs say nothing of the bug
_PLAIN_SETUP = (("CREATE", "TABLE"), ("INSERT", "INTO"), ("DROP", "TABLE"))
#: the words after which a word is a name the case defines
_NAMING = frozenset({"TABLE", "VIEW", "INTO", "REFERENCES", "WITH", "RECURSIVE", "AS", "EXISTS"})
_MODIFIERS = frozenset({"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "IF", "NOT", "EXISTS"})


def signature(finding: Finding, reduced: bool = False) -> str:
    """The finding's signature; `reduced`: signed as a reduced case, whose setup is what the
    bug needs (an unreduced setup is the random state's, and is left out)."""
    parts = [f"v{VERSION}", "reduced" if reduced else "", finding.engine.name]
    parts.append(finding.reference.name if finding.reference is not None else "")
    parts.append(symptom(finding))
    parts.extend(sorted(root_features(finding, reduced)))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def symptom(finding: Finding) -> str:
    cls = _oracle(finding.oracle)
    return cls.symptom_of(finding) if cls is not None else f"{finding.oracle}/{finding.variant}"


def root_features(finding: Finding, reduced: bool = True) -> frozenset[str]:
    """The constructs the signature hashes: the checked query's, and the setup's when the
    case is reduced."""
    cls = _oracle(finding.oracle)
    if not finding.queries:
        query = ""
    elif cls is None:
        query = finding.queries[0]
    else:
        query = cls.case_query(finding)
        if cls.signed_clauses:
            query = _source(query)
    found = set(_features(query))
    for statement in finding.setup if reduced else ():
        found.update(setup_features(statement))
    named = _names([*finding.setup, query])
    kept = frozenset(f for f in found if f.removeprefix("setup:") not in named)
    return cls.root_of(kept) if cls is not None else kept


def _names(statements: Iterable[str]) -> set[str]:
    """`func:NAME` for every name the case gives a table, view, CTE or alias column list: a
    word before a parenthesis that is no function call (`CREATE INDEX i ON t0(c)`,
    `AS s(a)`), so that renaming a table does not change the signature."""
    names = set()
    for statement in statements:
        try:
            toks = tokens(statement)
        except ScriptError:
            continue
        for before, tok in itertools.pairwise(toks):
            if tok.kind == "word" and before.upper in _NAMING:
                names.add(f"func:{tok.text.lower()}")
    return names


def setup_features(statement: str) -> set[str]:
    """The kind of a setup statement and its constructs, unless every case has them. An
    index is one feature however it came (CREATE INDEX, a key or a foreign key of a table:
    engines index those too), with what its CREATE INDEX says besides (DESC, expressions)."""
    try:
        words = [t.upper for t in tokens(statement) if t.kind == "word"]
    except ScriptError:
        return set()
    if not words:
        return set()
    head = [w for w in words[1:4] if w not in _MODIFIERS][:1]
    kind = tuple(words[:1] + head)
    if kind == ("CREATE", "TABLE"):
        keyed = {"PRIMARY", "UNIQUE", "REFERENCES"} & set(words)
        return {"setup:index"} if keyed else set()
    if kind in _PLAIN_SETUP:
        return set()
    if kind == ("CREATE", "INDEX"):
        said = set(_features(statement)) - {"kw:ON", "kw:UNIQUE"}
        return {"setup:index", *(f"setup:{f}" for f in said)}
    return {f"setup:{' '.join(kind)}", *(f"setup:{f}" for f in _features(statement))}


def _source(query: str) -> str:
    """The query's FROM, WHERE, GROUP BY and HAVING clause bodies (all of it when the text
    is not a SELECT sqlparity can split)."""
    c = clauses(query)
    if c is None:
        return query
    spans = (c.from_, c.where, c.group_by, c.having)
    return " ; ".join(c.text(span) for span in spans if span is not None)


def _features(sql: str) -> Iterable[str]:
    try:
        return text_features(sql)
    except ScriptError:
        return ()


@functools.cache
def _oracle(name: str) -> type | None:
    """The oracle's class, looked up once (entry points are slow to scan)."""
    from oracles import UnknownOracle, oracle_class

    try:
        return oracle_class(name)
    except UnknownOracle:
        return None
