"""SQLite's FTS5 for the fts oracle: MATCH in each of its spellings against the tokens.

A check's table is an FTS5 table of two columns, with a tokenizer (unicode61, ascii), prefix
indexes or none, and sometimes tiny pages (`pgsz`) so that doclists span pages; rows come in
several inserts (several segments), then updates, deletes and maintenance commands (optimize,
merge, rebuild) change it. Text queries are drawn in FTS5's syntax: phrases (quoted, `+`),
prefix `*`, initial `^`, NEAR groups with distances, column filters, AND, OR, NOT and the
implicit AND, fully parenthesised.

Each query runs spelt as `t MATCH q`, `t = q`, the table-valued `t(q)`, in rowid DESC order
and by rank, then with a rowid bound or a column on MATCH's left; all must select what
`oracles.fts5match` selects over the table's `fts5vocab` instances (those restricted, of the
rows their restriction keeps).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from fuzzer.engines import Outcome, Rows
from oracles.base import Discrepancy
from oracles.fts.documents import document, quote, words
from oracles.fts.verdict import Answers, Run, verdict
from oracles.fts5match import Index, Instance, Node, parse
from oracles.tsquery import Unsupported

TABLE = "fts_docs"
VOCAB = "fts_vocab"
COLUMNS = ("a", "b")
VOCAB_QUERY = f"SELECT doc, col, offset, term FROM {VOCAB}"
QUERIES = 4  # text queries per check

_LITERAL = r"'((?:[^']|'')*)'"
_CHECK = re.compile(
    rf"SELECT rowid FROM {TABLE}(?:\({_LITERAL}\))?"
    rf"(?: WHERE (\w+) (MATCH|=) {_LITERAL})?(?: AND rowid > (\d+))?(?: ORDER BY (.+))?"
)


def _unrestricted(literal: str) -> list[str]:
    """Every spelling of the query over the whole table: each must select the same rows."""
    where = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH {literal}"
    return [
        where,
        f"SELECT rowid FROM {TABLE} WHERE {TABLE} = {literal}",
        f"SELECT rowid FROM {TABLE}({literal})",
        f"{where} ORDER BY rowid DESC",
        f"{where} ORDER BY rank",
    ]


def _spellings(rng: random.Random, literal: str, count: int) -> list[str]:
    """The query's unrestricted spellings, and one restricted by rowid or by column."""
    where = f"SELECT rowid FROM {TABLE} WHERE"
    if rng.random() < 0.5:
        restricted = f"{where} {TABLE} MATCH {literal} AND rowid > {rng.randint(1, count)}"
    else:
        restricted = f"{where} {rng.choice(COLUMNS)} MATCH {literal}"
    return [*_unrestricted(literal), restricted]


# -- drawing -----------------------------------------------------------------------------------


def _phrase(rng: random.Random, docs: Sequence[str], near: bool = False) -> str:
    found = words(rng, docs)
    if len(found) == 1 and found[0].islower() and rng.random() < 0.6:
        text = found[0]  # a bareword (an upper-case one might be an operator)
    elif rng.random() < 0.3:
        text = " + ".join(f'"{w}"' for w in found)
    else:
        text = '"' + " ".join(found) + '"'
    if rng.random() < 0.2:
        text += " *"
    if not near and rng.random() < 0.1:
        text = "^ " + text
    return text


def _nearset(rng: random.Random, docs: Sequence[str]) -> str:
    """A phrase or a NEAR group, maybe under a column filter (FTS5's `cnearset`)."""
    if rng.random() < 0.15:
        phrases = " ".join(_phrase(rng, docs, near=True) for _ in range(rng.randint(2, 3)))
        distance = f", {rng.randint(0, 4)}" if rng.random() < 0.7 else ""
        near = f"NEAR({phrases}{distance})"
    else:
        near = _phrase(rng, docs)
    return f"{_columns(rng)} : {near}" if rng.random() < 0.1 else near


def _operand(rng: random.Random, docs: Sequence[str], depth: int) -> str:
    if depth > 0 and rng.random() < 0.35:
        group = f"({_expression(rng, docs, depth - 1)})"
        return f"{_columns(rng)} : {group}" if rng.random() < 0.2 else group
    return _nearset(rng, docs)


def _columns(rng: random.Random) -> str:
    names = rng.sample(COLUMNS, rng.randint(1, len(COLUMNS)))
    spelled = names[0] if len(names) == 1 and rng.random() < 0.5 else "{" + " ".join(names) + "}"
    return ("- " if rng.random() < 0.3 else "") + spelled


def _expression(rng: random.Random, docs: Sequence[str], depth: int) -> str:
    """An FTS5 query: operands under one operator, parenthesised below; the implicit AND
    joins phrases and NEAR groups only, as FTS5's grammar has it."""
    op = rng.choice(("AND", "OR", "OR", "NOT", ""))
    count = 2 if op == "NOT" else rng.randint(1, 3 if op == "OR" else 2)
    if not op:
        return " ".join(_nearset(rng, docs) for _ in range(count))
    return f" {op} ".join(_operand(rng, docs, depth) for _ in range(count))


def _row(rng: random.Random, docs: list[str]) -> str:
    a = document(rng) if rng.random() < 0.95 else None
    b = document(rng, 4) if rng.random() < 0.7 else ""
    docs.extend(d for d in (a, b) if d)
    return f"{'NULL' if a is None else quote(a)}, {quote(b)}"


def _build(rng: random.Random, docs: list[str]) -> tuple[list[str], int]:
    """The table's statements (its documents go to `docs`), and its highest rowid."""
    options = ""
    if rng.random() < 0.3:
        lengths = sorted(rng.sample(range(1, 4), rng.randint(1, 2)))
        options += f", prefix='{' '.join(map(str, lengths))}'"
    if rng.random() < 0.3:
        options += rng.choice((", tokenize='ascii'", ", tokenize='unicode61 remove_diacritics 2'"))
    if rng.random() < 0.2:
        options += ", columnsize=0"
    out = [
        f"DROP TABLE IF EXISTS {VOCAB}",
        f"DROP TABLE IF EXISTS {TABLE}",
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5({', '.join(COLUMNS)}{options})",
        f"CREATE VIRTUAL TABLE {VOCAB} USING fts5vocab({TABLE}, instance)",
    ]
    if rng.random() < 0.3:
        out.append(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('pgsz', 64)")
    count = 0
    for _ in range(rng.randint(1, 3)):  # one segment per insert
        batch = rng.randint(1, 8)
        rows = ", ".join(f"({count + n}, {_row(rng, docs)})" for n in range(1, batch + 1))
        out.append(f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}) VALUES {rows}")
        count += batch
    for _ in range(rng.randint(0, 3)):
        draw = rng.random()
        target = rng.randint(1, count)
        if draw < 0.3:
            out.append(f"UPDATE {TABLE} SET {rng.choice(COLUMNS)} = {quote(document(rng))} "
                       f"WHERE rowid = {target}")  # fmt: skip
        elif draw < 0.55:
            out.append(f"DELETE FROM {TABLE} WHERE rowid = {target}")
        elif draw < 0.7:
            out.append(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")
        elif draw < 0.85:
            pages = rng.choice((-16, 2, 16))
            out.append(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('merge', {pages})")
        else:
            out.append(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
    return out, count


# -- the back-end --------------------------------------------------------------------------------


class FTS5:
    """The fts oracle's SQLite back-end (see the module doc)."""

    def draw(self, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
        docs: list[str] = []
        build, count = _build(rng, docs)
        checks = [VOCAB_QUERY]
        for _ in range(QUERIES):
            checks += _spellings(rng, quote(_expression(rng, docs, 2)), count)
        return build, checks, [f"DROP TABLE {VOCAB}", f"DROP TABLE {TABLE}"]

    def checks(self, sql: str) -> list[str] | None:
        """The user's query and, when it reads the whole table, its other spellings: a
        finding's probe again, which the reducer then shrinks."""
        m = _CHECK.fullmatch(sql)
        if m is None:
            return None
        valued, left, _, matched, bound, _ = m.groups()
        literal = valued if valued is not None else matched
        if literal is None or bound is not None or left in COLUMNS:
            return [sql, VOCAB_QUERY]
        return [sql, VOCAB_QUERY, *(s for s in _unrestricted(f"'{literal}'") if s != sql)]

    def is_run(self, sql: str) -> bool:
        return _CHECK.fullmatch(sql) is not None

    def judge(self, queries: Sequence[str], outcomes: Sequence[Outcome]) -> Discrepancy | None:
        index: Index | None = None
        for sql, outcome in zip(queries, outcomes, strict=True):
            if sql == VOCAB_QUERY and isinstance(outcome, Rows):
                instances: list[Instance] = [tuple(r) for r in outcome.rows]  # type: ignore[misc]
                index = Index(instances, COLUMNS)
        answers: dict[str, Answers] = {}
        failed: set[str] = set()
        for sql, outcome in zip(queries, outcomes, strict=True):
            m = _CHECK.fullmatch(sql)
            if m is None:
                continue
            valued, left, op, matched, bound_text, order_by = m.groups()
            literal = valued if valued is not None else matched
            if literal is None:
                continue
            text = literal.replace("''", "'")
            if not isinstance(outcome, Rows):
                failed.add(text)
                continue
            answer = answers.setdefault(text, Answers(text))
            order = "desc" if order_by == "rowid DESC" else ""
            ids = tuple(r[0] for r in outcome.rows)
            plan = _plan(left, op, bound_text, order_by, valued is not None)
            bound = int(bound_text) if bound_text else None
            column = left if left in COLUMNS else None
            expected = _expected(index, text, column, bound)
            if bound is not None or column is not None:
                # a restricted run has rows of its own: it is its own answer
                answers[sql] = Answers(text, [Run(plan, sql, ids, order)], expected)
                continue
            answer.runs.append(Run(plan, sql, ids, order))
            answer.expected = expected
        return verdict(a for k, a in answers.items() if k not in failed and a.query not in failed)


def _plan(left: str | None, op: str | None, bound: str | None, order: str | None,
          valued: bool) -> str:  # fmt: skip
    """The run's spelling, as a finding names it."""
    if valued:
        return "the table-valued function"
    words = [f"{left} {op}" if left in COLUMNS else f"{TABLE} {op}"]
    if bound:
        words.append(f"rowid > {bound}")
    if order:
        words.append(f"ORDER BY {order}")
    return ", ".join(words)


def _expected(
    index: Index | None, text: str, column: str | None, bound: int | None
) -> tuple[int, ...] | None:
    """The rowids the query selects over the table's tokens; None when that cannot be told."""
    if index is None:
        return None
    try:
        node: Node = parse(text)
        rows = [r for r in index.rows if bound is None or r > bound]
        columns = None if column is None else (column,)
        return tuple(sorted(r for r in rows if index.matches(r, node, columns)))
    except Unsupported:
        return None


__all__ = ["FTS5"]
