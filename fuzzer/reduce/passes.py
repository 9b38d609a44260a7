"""Candidates: smaller versions of one statement, or of a whole script.

Each pass proposes edits and never judges them; the reducer tries them, cheapest check first
(the dialect grammar), then the engine. Passes come in two kinds, as in C-Vise: the lexical
ones need only `fuzzer.script`'s lexer, so they work on any SQL, even SQL the grammar does not
know yet; the structural ones walk the Lark parse tree (remove a subtree, replace a node by a
descendant of the same kind, as sqlreduce does) and need a statement the grammar parses.
A candidate is the whole statement text after the edit, tidied so that equal SQL is equal text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lark import Tree

from fuzzer.script import Token, split_list, tokens


def tidy(sql: str) -> str:
    """The statement with comments dropped, one space where there was any whitespace, and none
    inside parentheses or before a comma, as edits would otherwise leave `( b)` behind."""
    out: list[str] = []
    prev: Token | None = None
    for tok in tokens(sql):
        if prev is not None and tok.start > prev.end and prev.kind != "open" and \
                tok.kind != "close" and tok.text != ",":  # fmt: skip
            out.append(" ")
        out.append(tok.text)
        prev = tok
    return "".join(out)


def size(sql: str) -> tuple[int, int]:
    """What the reducer minimises: tokens first, then characters."""
    return len(tokens(sql)), len(sql)


def smaller(a: str, b: str) -> bool:
    """Shortlex order on (tokens, characters, text): every accepted step strictly descends it,
    so a reduction always ends, and `7` -> `0` counts as progress."""
    return (*size(a), a) < (*size(b), b)


@dataclass(frozen=True, order=True)
class Candidate:
    at: int  # where the edit starts: after an accepted edit the sweep resumes here
    text: str  # the whole statement after the edit
    kind: str = field(default="", compare=False)  # the pass that proposed it, for the stats


def _edit(sql: str, start: int, end: int, replacement: str, kind: str) -> Candidate:
    return Candidate(start, tidy(sql[:start] + replacement + sql[end:]), kind)


# -- the lexer's view: tokens grouped by parentheses -------------------------------------------

_CLAUSES = frozenset(
    """SELECT FROM WHERE GROUP HAVING WINDOW QUALIFY ORDER LIMIT OFFSET FETCH
    VALUES SET RETURNING UNION INTERSECT EXCEPT ON USING""".split()
)
_JOINS = frozenset("NATURAL LEFT RIGHT FULL INNER CROSS OUTER JOIN".split())
_REMOVABLE = frozenset(
    """WHERE GROUP HAVING WINDOW QUALIFY ORDER LIMIT OFFSET FETCH RETURNING
    ON USING""".split()
)
_SET_OPS = frozenset("UNION INTERSECT EXCEPT".split())
_MODIFIERS = frozenset("BY ALL DISTINCT".split())
_OPERATOR_WORDS = frozenset("AND OR IS LIKE ILIKE GLOB REGEXP RLIKE IN".split())
_OPERATOR_CHARS = frozenset("+-*/%=<>!|&^~")
_BOUNDARIES = frozenset("CASE WHEN THEN ELSE END AS ASC DESC NULLS".split())
_DROPPABLE = frozenset(
    """NOT DISTINCT ALL ASC DESC OUTER NATURAL LEFT RIGHT FULL INNER UNIQUE
    RECURSIVE TEMP TEMPORARY""".split()
)
_NOT_A_FUNCTION = (
    _CLAUSES
    | _JOINS
    | _OPERATOR_WORDS
    | _BOUNDARIES
    | frozenset("NOT EXISTS ANY SOME BY INTO TABLE INDEX VIEW OVER FILTER".split())
)
_QUERY_WORDS = frozenset("SELECT WITH VALUES".split())

Unit = tuple[int, int]  # first and last token index: one token, or a whole parenthesised group


class Lexed:
    """A statement's tokens with their parentheses matched."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.toks = tokens(sql)
        self.close: dict[int, int] = {}
        self.depth: list[int] = []
        stack: list[int] = []
        self.balanced = True
        for i, tok in enumerate(self.toks):
            if tok.kind == "close":
                if not stack:
                    self.balanced = False
                    break
                self.close[stack.pop()] = i
            self.depth.append(len(stack))
            if tok.kind == "open":
                stack.append(i)
        self.balanced = self.balanced and not stack

    def scopes(self) -> Iterator[tuple[int, int]]:
        """Token ranges [lo, hi) of the top level and of every parenthesised group's inside."""
        yield 0, len(self.toks)
        for o, c in sorted(self.close.items()):
            yield o + 1, c

    def units(self, lo: int, hi: int) -> list[Unit]:
        out, i = [], lo
        while i < hi:
            j = self.close.get(i, i)
            out.append((i, j))
            i = j + 1
        return out

    def word(self, unit: Unit) -> str:
        """The unit's keyword, upper-cased, or "" when it is not a single word."""
        i, j = unit
        return self.toks[i].upper if i == j and self.toks[i].kind == "word" else ""

    def chars(self, first: Unit, last: Unit) -> tuple[int, int]:
        return self.toks[first[0]].start, self.toks[last[1]].end

    @property
    def verb(self) -> str:
        return self.toks[0].upper if self.toks else ""


@dataclass(frozen=True)
class Segment:
    """A clause at one level: its keyword unit, where its body starts, where it ends."""

    keyword: str
    start: int  # unit index of the keyword
    body: int  # unit index of the first body unit
    end: int  # unit index after the last unit


def segments(lx: Lexed, units: list[Unit]) -> list[Segment]:
    starts: list[tuple[int, str]] = [(0, "")]
    for k, unit in enumerate(units):
        w = lx.word(unit)
        nxt = lx.word(units[k + 1]) if k + 1 < len(units) else ""
        calls = k + 1 < len(units) and units[k + 1][0] in lx.close  # LEFT(...) is a function
        if w in ("GROUP", "ORDER") and nxt != "BY":
            continue
        if w in _JOINS and not calls:
            if k and lx.word(units[k - 1]) in _JOINS:
                continue
            starts.append((k, "JOIN"))
        elif w in _CLAUSES:
            starts.append((k, w))
    if len(starts) > 1 and starts[1][0] == 0:
        starts.pop(0)
    out = []
    for n, (k, w) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(units)
        body = k + (1 if w else 0)
        while body < end and (lx.word(units[body]) in _MODIFIERS or
                              (w == "JOIN" and lx.word(units[body]) in _JOINS)):  # fmt: skip
            body += 1
        out.append(Segment(w, k, body, end))
    return out


def lexical(sql: str) -> Iterator[Candidate]:
    """Clause, list-item, operand, parenthesis and keyword removals, by the lexer alone."""
    lx = Lexed(sql)
    if not lx.balanced or not lx.toks:
        return
    for lo, hi in lx.scopes():
        units = lx.units(lo, hi)
        segs = segments(lx, units)
        yield from _clause_removals(lx, units, segs)
        for seg in segs:
            items = _comma_items(lx, units[seg.body : seg.end])
            if len(items) > 1:
                for n in range(len(items)):
                    yield _drop_item(lx, items, n, "list-item")
            for item in items:
                yield from _operands(lx, item)
        yield from _keywords(lx, units)
    yield from _parentheses(lx)


def _clause_removals(lx: Lexed, units: list[Unit], segs: list[Segment]) -> Iterator[Candidate]:
    for n, seg in enumerate(segs):
        end = seg.end
        if seg.keyword == "JOIN":  # a join with its ON or USING
            while n + 1 < len(segs) and segs[n + 1].keyword in ("ON", "USING"):
                n += 1
                end = segs[n].end
        elif seg.keyword in _SET_OPS:  # a later arm of a set operation
            later = [s.start for s in segs[n + 1 :]
                     if s.keyword in _SET_OPS | {"ORDER", "LIMIT", "OFFSET", "FETCH"}]  # fmt: skip
            end = later[0] if later else len(units)
            first = next((s for s in segs if s.keyword == "SELECT"), None)
            if first is not None and first.start < seg.start and seg.body < len(units):
                a, _ = lx.chars(units[first.start], units[first.start])
                b, _ = lx.chars(units[seg.body], units[seg.body])
                yield _edit(lx.sql, a, b, "", "set-arm")  # keep the later arm alone
        elif seg.keyword not in _REMOVABLE:
            continue
        a, b = lx.chars(units[seg.start], units[end - 1])
        yield _edit(lx.sql, a, b, "", "clause")


def _comma_items(lx: Lexed, units: list[Unit]) -> list[list[Unit]]:
    items: list[list[Unit]] = [[]]
    for unit in units:
        tok = lx.toks[unit[0]]
        if unit[0] == unit[1] and tok.text == ",":
            items.append([])
        else:
            items[-1].append(unit)
    return [item for item in items if item]


def _drop_item(lx: Lexed, items: list[list[Unit]], n: int, kind: str) -> Candidate:
    """Remove item n and the comma that separates it from a neighbour."""
    if n + 1 < len(items):
        a, _ = lx.chars(items[n][0], items[n][0])
        b, _ = lx.chars(items[n + 1][0], items[n + 1][0])
    else:
        _, a = lx.chars(items[n - 1][-1], items[n - 1][-1])
        _, b = lx.chars(items[n][-1], items[n][-1])
    return _edit(lx.sql, a, b, "", kind)


def _operands(lx: Lexed, item: list[Unit]) -> Iterator[Candidate]:
    """For `a op b`, propose `a` and `b`: AND/OR operands, arithmetic, comparisons."""
    runs: list[list[Unit]] = [[]]
    for unit in item:
        if lx.word(unit) in _BOUNDARIES:
            runs.append([])
        else:
            runs[-1].append(unit)
    for run in runs:
        ops = _operators(lx, run)
        for n, (a, b) in enumerate(ops):
            left_start = ops[n - 1][1] + 1 if n else 0
            right_end = ops[n + 1][0] if n + 1 < len(ops) else len(run)
            if left_start < a and b + 1 < right_end:  # both operands present: not a sign
                start, _ = lx.chars(run[a], run[a])
                _, end = lx.chars(run[right_end - 1], run[right_end - 1])
                yield _edit(lx.sql, start, end, "", "operand")
                start, _ = lx.chars(run[left_start], run[left_start])
                _, end = lx.chars(run[b], run[b])
                yield _edit(lx.sql, start, end, "", "operand")


def _operators(lx: Lexed, run: list[Unit]) -> list[tuple[int, int]]:
    """Unit ranges (first, last) of the binary operators in a run; `BETWEEN x AND y` is one."""
    ops: list[tuple[int, int]] = []
    between = False
    for k, unit in enumerate(run):
        tok = lx.toks[unit[0]]
        w = lx.word(unit)
        if w == "BETWEEN":
            between = True
        elif w == "AND" and between:
            between = False
        elif w in _OPERATOR_WORDS:
            ops.append((k, k))
        elif unit[0] == unit[1] and tok.kind == "other" and tok.text in _OPERATOR_CHARS:
            if ops and ops[-1][1] == k - 1 and lx.toks[run[k - 1][0]].kind == "other":
                ops[-1] = (ops[-1][0], k)  # `<` `=` is one operator
            else:
                ops.append((k, k))
    return ops


def _keywords(lx: Lexed, units: list[Unit]) -> Iterator[Candidate]:
    """Drop a modifier (NOT, DISTINCT, DESC, ...) or an `AS alias`."""
    for k, unit in enumerate(units):
        w = lx.word(unit)
        calls = k + 1 < len(units) and units[k + 1][0] in lx.close
        if w in _DROPPABLE and not calls:
            a, b = lx.chars(unit, unit)
            yield _edit(lx.sql, a, b, "", "keyword")
        elif w in ("AS", "NULLS") and k + 1 < len(units) and not calls:
            a, b = lx.chars(unit, units[k + 1])
            yield _edit(lx.sql, a, b, "", "keyword")


def _parentheses(lx: Lexed) -> Iterator[Candidate]:
    """`(x)` becomes `x`; a call `f(a, b)` becomes `a` or `b`."""
    query = lx.verb in _QUERY_WORDS
    for o, c in sorted(lx.close.items()):
        if o + 1 == c or (lx.depth[o] == 0 and not query):
            continue  # empty, or a column list or a row of DDL/DML
        inner = lx.toks[o + 1]
        prev: Token | None = lx.toks[o - 1] if o else None
        start, end = lx.toks[o].start, lx.toks[c].end
        if prev is not None and prev.kind in ("word", "quoted") and \
                prev.upper not in _NOT_A_FUNCTION:  # fmt: skip
            for item in _comma_items(lx, lx.units(o + 1, c)):
                cut = next((n for n, u in enumerate(item) if lx.word(u) == "AS"), len(item))
                if cut:
                    a, b = lx.chars(item[0], item[cut - 1])
                    yield _edit(lx.sql, prev.start, end, lx.sql[a:b], "call")
        elif inner.upper not in _QUERY_WORDS and (
            prev is None or prev.upper not in ("IN", "VALUES")
        ):
            yield _edit(lx.sql, start, end, lx.sql[inner.start : lx.toks[c - 1].end], "parens")


def literals(sql: str) -> Iterator[Candidate]:
    """Shorter strings, smaller numbers, 0, NULL: the last, finest pass. A divisor never
    becomes 0: division by zero is a bug of its own in every engine, not the one reduced."""
    toks = tokens(sql)
    for n, tok in enumerate(toks):
        divisor = n > 0 and toks[n - 1].text in ("/", "%")
        for simpler in _simpler_literals(tok):
            if divisor and simpler.strip("0.") == "":
                continue
            if (len(simpler), simpler) < (len(tok.text), tok.text):
                yield _edit(sql, tok.start, tok.end, simpler, "literal")


def _simpler_literals(tok: Token) -> list[str]:
    if tok.kind == "number":
        text = tok.text
        whole = text.split(".")[0].split("e")[0].split("E")[0] or "0"
        return ["0", "1", whole, text[: max(1, len(text) // 2)], "NULL"]
    if tok.kind == "string" and tok.text.startswith("'"):
        body = tok.text[1:-1]
        if "''" in body or "\\" in body:
            return ["''", "NULL"]
        return ["''", f"'{body[:1]}'", f"'{body[: len(body) // 2]}'", "NULL"]
    return []


# -- the grammar's view: a Lark parse tree ------------------------------------------------------

#: Node kinds that may replace each other: "a node by a descendant of the same kind".
EXPRESSIONS = frozenset(
    """or_op and_op not_op comparison is_null is_truth is_distinct_from
    between in_list in_subquery like exists concat arithmetic sign literal column_ref
    scalar_subquery case cast function_call""".split()
)
FROM_ITEMS = frozenset("table_ref derived_table join".split())
QUERIES = frozenset("query query_body keyword_query select_core subquery".split())
KINDS = (EXPRESSIONS, FROM_ITEMS, QUERIES)


def structural(sql: str, tree: Tree) -> Iterator[Candidate]:
    """Hierarchical delta debugging over the parse tree, outermost nodes first."""
    for node in tree.iter_subtrees_topdown():
        if node is tree or node.meta.empty:
            continue
        start, end = node.meta.start_pos, node.meta.end_pos
        yield _delete_node(sql, start, end)
        kind = next((k for k in KINDS if node.data in k), frozenset())
        for below in node.iter_subtrees_topdown():
            if below is node or below.meta.empty:
                continue
            if below.data in kind or any(below is child for child in node.children):
                text = sql[below.meta.start_pos : below.meta.end_pos]
                yield _edit(sql, start, end, text, "subtree")
        if kind is EXPRESSIONS and node.data != "literal":
            for atom in ("NULL", "0"):
                yield _edit(sql, start, end, atom, "atom")


def _delete_node(sql: str, start: int, end: int) -> Candidate:
    """Delete a subtree with one neighbouring comma, so that list items go cleanly."""
    before = sql[:start].rstrip()
    after = sql[end:].lstrip()
    if before.endswith(","):
        start = len(before) - 1
    elif after.startswith(","):
        end = len(sql) - len(after) + 1
    return _edit(sql, start, end, "", "subtree")


# -- script-level passes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Insert:
    """A multi-row `INSERT ... VALUES (...), (...)` cut into head, rows and tail."""

    head: str
    rows: tuple[str, ...]
    tail: str

    @classmethod
    def parse(cls, sql: str) -> Insert | None:
        lx = Lexed(sql)
        if lx.verb != "INSERT" or not lx.balanced:
            return None
        units = lx.units(0, len(lx.toks))
        at = next((k for k, u in enumerate(units) if lx.word(u) == "VALUES"), None)
        if at is None:
            return None
        rows: list[Unit] = []
        k = at + 1
        while k < len(units) and units[k][0] in lx.close:
            rows.append(units[k])
            if k + 1 < len(units) and lx.toks[units[k + 1][0]].text == ",":
                k += 2
            else:
                k += 1
                break
        if not rows:
            return None
        _, head_end = lx.chars(units[at], units[at])
        _, rows_end = lx.chars(rows[-1], rows[-1])
        texts = tuple(sql[slice(*lx.chars(r, r))] for r in rows)
        return cls(sql[:head_end], texts, sql[rows_end:])

    def with_rows(self, rows: Sequence[str]) -> str:
        return f"{self.head} {', '.join(rows)}{self.tail}"


def _unquote(name: str) -> str:
    return name.strip('"`[]').lower()


@dataclass(frozen=True)
class Table:
    """A `CREATE TABLE name (...)`: its statement index and column names, in order."""

    index: int
    name: str
    columns: tuple[str, ...]


_NOT_COLUMNS = frozenset("PRIMARY UNIQUE CHECK CONSTRAINT FOREIGN KEY INDEX EXCLUDE".split())


def tables(statements: Sequence[str]) -> list[Table]:
    found = []
    for index, sql in enumerate(statements):
        lx = Lexed(sql)
        if lx.verb != "CREATE" or not lx.balanced:
            continue
        words = [t.upper for t in lx.toks[:4]]
        o = next((i for i, t in enumerate(lx.toks) if t.kind == "open"), None)
        if "TABLE" not in words or o is None or o == 0 or o not in lx.close:
            continue
        items = _comma_items(lx, lx.units(o + 1, lx.close[o]))
        columns = tuple(_unquote(lx.toks[item[0][0]].text) for item in items
                        if lx.word(item[0]) not in _NOT_COLUMNS)  # fmt: skip
        found.append(Table(index, _unquote(lx.toks[o - 1].text), columns))
    return found


def drop_column(statements: Sequence[str], table: Table, column: str) -> list[str] | None:
    """The script without one column: gone from CREATE TABLE and from every INSERT into it."""
    out = list(statements)
    create = _drop_named(statements[table.index], column)
    if create is None:
        return None
    out[table.index] = create
    position = table.columns.index(column)
    for n, sql in enumerate(statements):
        insert = Insert.parse(sql)
        if insert is None:
            continue
        lx = Lexed(insert.head)
        names = [t for t in lx.toks if t.kind in ("word", "quoted")]
        into = next((k for k, t in enumerate(names) if t.upper == "INTO"), 0)
        if into + 1 >= len(names) or _unquote(names[into + 1].text) != table.name:
            continue
        head, where = insert.head, position
        listed = _column_list(insert.head)
        if listed is not None:
            if column not in listed:
                continue
            where = listed.index(column)
            head = _drop_named(insert.head, column)
            if head is None:
                return None
        rows = []
        for row in insert.rows:
            values = split_list(row[1:-1])
            if len(values) <= where or len(values) < 2:
                return None
            rows.append("(" + ", ".join(v for k, v in enumerate(values) if k != where) + ")")
        out[n] = tidy(Insert(head, tuple(rows), insert.tail).with_rows(rows))
    return out


def _column_list(head: str) -> list[str] | None:
    lx = Lexed(head)
    o = next((i for i, t in enumerate(lx.toks) if t.kind == "open"), None)
    if o is None or o not in lx.close:
        return None
    return [_unquote(lx.toks[item[0][0]].text) for item in
            _comma_items(lx, lx.units(o + 1, lx.close[o]))]  # fmt: skip


def _drop_named(sql: str, column: str) -> str | None:
    """Remove the item that starts with `column` from the statement's first parenthesised list."""
    lx = Lexed(sql)
    o = next((i for i, t in enumerate(lx.toks) if t.kind == "open"), None)
    if o is None or o not in lx.close:
        return None
    items = _comma_items(lx, lx.units(o + 1, lx.close[o]))
    for n, item in enumerate(items):
        if _unquote(lx.toks[item[0][0]].text) == column and len(items) > 1:
            return _drop_item(lx, items, n, "column").text
    return None
