"""A reference evaluator of SQLite FTS5's MATCH over the table's own tokens.

The tokens come from the engine (an `fts5vocab` table of kind `instance`: term, row, column,
offset), so tokenizing documents stays FTS5's; what is checked is the query syntax as the
FTS5 documentation defines it (section 3, "Full-text Query Syntax"):

- a phrase is one or more tokens at consecutive offsets of one column (`"a b"`, `a + b`); a
  trailing `*` makes its last token a prefix; `^` ties it to the column's first token;
- `NEAR(p1 p2 ..., N)` (N = 10 by default): the phrases in one column, with at most N tokens
  between the end of each one and the start of the last one;
- a column filter `col :`, `{c1 c2} :`, `- col :` restricts the phrases below it;
- `AND` (or no operator), `OR` and the binary `NOT` combine rows.

Query strings are tokenized as unicode61 does ASCII text: runs of letters and digits,
lowercased. The grammar is read in the fully parenthesised form the generator writes; a mix
of boolean operators without parentheses, whose precedence this module does not decide, and
any non-ASCII query text are refused (`Unsupported`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oracles.tsquery import Unsupported

#: (rowid, column, offset, term), as `fts5vocab(..., instance)` lists them
Instance = tuple[int, str, int, str]

#: NEAR's distance when the group names none
NEAR_DEFAULT = 10


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    prefix: bool = False
    initial: bool = False


@dataclass(frozen=True)
class Near:
    phrases: tuple[Phrase, ...]
    distance: int = NEAR_DEFAULT


@dataclass(frozen=True)
class Columns:
    names: tuple[str, ...]
    exclude: bool
    query: Node


@dataclass(frozen=True)
class Bool:
    op: str  # AND, OR, NOT
    left: Node
    right: Node


Node = Phrase | Near | Columns | Bool

_LEX = re.compile(r'\s*(?:("(?:[^"]|"")*")|([A-Za-z0-9_]+)|([(){}:,*+^-]))')
_WORDS = re.compile(r"[a-z0-9]+")


def _tokens_of(text: str) -> tuple[str, ...]:
    if not text.isascii():
        raise Unsupported("non-ASCII FTS5 query text")
    return tuple(_WORDS.findall(text.lower()))


def _lex(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is "string", "word" or the punctuation itself."""
    out, at = [], 0
    while text[at:].strip():
        m = _LEX.match(text, at)
        if m is None:
            raise Unsupported(f"FTS5 query text: {text[at : at + 20]!r}")
        at = m.end()
        if m.group(1):
            out.append(("string", m.group(1)[1:-1].replace('""', '"')))
        elif m.group(2):
            out.append(("word", m.group(2)))
        else:
            out.append((m.group(3), m.group(3)))
    return out


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    at: int = 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        n = self.at + ahead
        return self.tokens[n] if n < len(self.tokens) else ("end", "")

    def take(self, kind: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if kind is not None and token[0] != kind:
            raise Unsupported(f"expected {kind}, got {token[1]!r}")
        self.at += 1
        return token

    def query(self) -> Node:
        node = self.operand()
        op = None
        while True:
            kind, text = self.peek()
            if kind == "word" and text in ("AND", "OR", "NOT"):
                self.take()
                this = text
            elif kind in ("string", "word", "(", "-", "{", "^"):
                this = "AND"  # no operator: AND
            else:
                return node
            if op is not None and this != op:
                raise Unsupported("boolean operators mixed without parentheses")
            op = this
            node = Bool(this, node, self.operand())

    def operand(self) -> Node:
        kind, text = self.peek()
        if kind == "(":
            self.take()
            node = self.query()
            self.take(")")
            return node
        if kind == "-" or kind == "{" or (kind == "word" and self.peek(1)[0] == ":"):
            return self.filtered()
        if kind == "word" and text == "NEAR" and self.peek(1)[0] == "(":
            return self.near()
        return self.phrase()

    def filtered(self) -> Columns:
        exclude = self.peek()[0] == "-"
        if exclude:
            self.take()
        if self.peek()[0] == "{":
            self.take()
            names = []
            while self.peek()[0] == "word":
                names.append(self.take()[1])
            self.take("}")
        else:
            names = [self.take("word")[1]]
        self.take(":")
        return Columns(tuple(names), exclude, self.operand())

    def near(self) -> Near:
        self.take()
        self.take("(")
        phrases = []
        while self.peek()[0] in ("string", "word", "^"):
            phrases.append(self.phrase())
        distance = NEAR_DEFAULT
        if self.peek()[0] == ",":
            self.take()
            distance = int(self.take("word")[1])
        self.take(")")
        return Near(tuple(phrases), distance)

    def phrase(self) -> Phrase:
        initial = self.peek()[0] == "^"
        if initial:
            self.take()
        tokens: list[str] = []
        while True:
            kind, text = self.take()
            if kind not in ("string", "word"):
                raise Unsupported(f"unexpected {text!r} in an FTS5 phrase")
            tokens.extend(_tokens_of(text))
            if self.peek()[0] != "+":
                break
            self.take()
        prefix = self.peek()[0] == "*"
        if prefix:
            self.take()
        if not tokens:
            raise Unsupported("a phrase without tokens")
        return Phrase(tuple(tokens), prefix, initial)


def parse(text: str) -> Node:
    parser = _Parser(_lex(text))
    node = parser.query()
    if parser.peek()[0] != "end":
        raise Unsupported(f"FTS5 query text: {text!r}")
    return node


class Index:
    """The tokens of an FTS5 table, by row and column."""

    def __init__(self, instances: Iterable[Instance], columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.rows: dict[int, dict[str, dict[int, str]]] = {}
        for rowid, column, offset, term in instances:
            self.rows.setdefault(rowid, {}).setdefault(column, {})[offset] = term

    def _starts(self, rowid: int, column: str, phrase: Phrase) -> set[int]:
        """The offsets where the phrase begins in one column of one row."""
        tokens = self.rows.get(rowid, {}).get(column, {})
        last = len(phrase.tokens) - 1
        starts = set()
        for start in tokens:
            if phrase.initial and start != 0:
                continue
            for i, want in enumerate(phrase.tokens):
                have = tokens.get(start + i)
                prefixed = phrase.prefix and i == last
                if have is None or not (have == want or (prefixed and have.startswith(want))):
                    break
            else:
                starts.add(start)
        return starts

    def _near(self, rowid: int, column: str, near: Near) -> bool:
        starts = [sorted(self._starts(rowid, column, p)) for p in near.phrases]
        if not all(starts):
            return False
        # some start of the last phrase to begin, at most N tokens after each phrase's end
        for last in sorted({s for ss in starts for s in ss}):
            if all(
                any(s <= last and last - (s + len(p.tokens)) <= near.distance for s in ss)
                for p, ss in zip(near.phrases, starts, strict=True)
            ) and any(last in ss for ss in starts):
                return True
        return False

    def matches(self, rowid: int, node: Node, columns: tuple[str, ...] | None = None) -> bool:
        allowed = self.columns if columns is None else columns
        if isinstance(node, Phrase):
            return any(self._starts(rowid, c, node) for c in allowed)
        if isinstance(node, Near):
            return any(self._near(rowid, c, node) for c in allowed)
        if isinstance(node, Columns):
            unknown = set(node.names) - set(self.columns)
            if unknown:
                raise Unsupported(f"no such column: {sorted(unknown)}")
            named = [c for c in self.columns if (c in node.names) != node.exclude]
            return self.matches(rowid, node.query, tuple(c for c in allowed if c in named))
        left = self.matches(rowid, node.left, columns)
        right = self.matches(rowid, node.right, columns)
        if node.op == "AND":
            return left and right
        if node.op == "OR":
            return left or right
        return left and not right

    def match_set(self, rowids: Iterable[int], node: Node) -> set[int]:
        return {r for r in rowids if self.matches(r, node)}


__all__ = ["Index", "Instance", "Node", "parse"]
