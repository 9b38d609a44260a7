"""A reference evaluator of PostgreSQL's `tsvector @@ tsquery`, from their text forms.

The fts oracle fetches the engine's own `to_tsvector` and `to_tsquery` output as text, so
parsing and stemming stay the engine's; what is checked here is matching, as the manual
defines it (chapter 12, "Full Text Search", and 8.11 "Text Search Types"):

- a lexeme matches when the tsvector has it; `:*` matches every lexeme it begins; weight
  letters (`:AB`) keep only positions of those weights (an unlabelled position is D);
- `!`, `&`, `|` are boolean NOT, AND, OR over the document;
- `a <N> b` matches when b begins exactly N positions after a ends (`<->` is `<1>`); its
  operands may themselves be phrases, whose match ends where their last lexeme is.

What the manual leaves to the implementation is refused (`Unsupported`), never guessed: a
boolean operator inside a phrase, a lexeme without positions under a phrase, an empty query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: lexeme -> (position, weight) pairs, as `tsvector::text` lists them
Vector = Mapping[str, tuple[tuple[int, str], ...]]


class Unsupported(ValueError):
    """The text uses what the evaluator does not decide (the oracle skips the check)."""


@dataclass(frozen=True)
class Lexeme:
    word: str
    prefix: bool = False
    weights: str = ""  # empty: any weight


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Bool:
    op: str  # "&" or "|"
    left: Node
    right: Node


@dataclass(frozen=True)
class Phrase:
    distance: int
    left: Node
    right: Node


Node = Lexeme | Not | Bool | Phrase

_QUOTED = r"'((?:[^']|'')*)'"
_VECTOR_ITEM = re.compile(_QUOTED + r"(?::([0-9A-D,]+))?\s*")
_POSITION = re.compile(r"(\d+)([A-D]?)")
_TOKEN = re.compile(_QUOTED + r"(?::([*A-D]+))?|<(-|\d+)>|[!&|()]|\s+")


def _unquote(text: str) -> str:
    if "\\" in text:
        raise Unsupported("a backslash in a lexeme")
    return text.replace("''", "'")


def parse_vector(text: str) -> dict[str, tuple[tuple[int, str], ...]]:
    """`'cat':1A,3 'dog':2` as {lexeme: ((position, weight), ...)}."""
    vector: dict[str, tuple[tuple[int, str], ...]] = {}
    at = 0
    while at < len(text):
        m = _VECTOR_ITEM.match(text, at)
        if m is None:
            raise Unsupported(f"tsvector text: {text[at : at + 20]!r}")
        positions = tuple(
            (int(p.group(1)), p.group(2) or "D") for p in _POSITION.finditer(m.group(2) or "")
        )
        vector[_unquote(m.group(1))] = positions
        at = m.end()
    return vector


def parse_query(text: str) -> Node:
    """A `tsquery::text` as a tree: `!` binds tightest, then `<N>`, `&`, `|`; left to right."""
    tokens: list[object] = []
    at = 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            raise Unsupported(f"tsquery text: {text[at : at + 20]!r}")
        at = m.end()
        if m.group(1) is not None:
            flags = m.group(2) or ""
            word = _unquote(m.group(1))
            tokens.append(Lexeme(word, "*" in flags, "".join(sorted(set(flags) - {"*"}))))
        elif m.group(3) is not None:
            tokens.append(1 if m.group(3) == "-" else int(m.group(3)))
        elif not m.group(0).isspace():
            tokens.append(m.group(0))
    if not tokens:
        raise Unsupported("an empty tsquery")
    parser = _Parser(tokens)
    node = parser.disjunction()
    if parser.at != len(tokens):
        raise Unsupported(f"tsquery text: {text!r}")
    return node


@dataclass
class _Parser:
    tokens: list[object]
    at: int = 0

    def peek(self) -> object:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> object:
        self.at += 1
        return self.tokens[self.at - 1]

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek() == "|":
            self.take()
            node = Bool("|", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.phrase()
        while self.peek() == "&":
            self.take()
            node = Bool("&", node, self.phrase())
        return node

    def phrase(self) -> Node:
        node = self.unary()
        while isinstance(self.peek(), int):
            distance = self.take()
            assert isinstance(distance, int)
            node = Phrase(distance, node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.take() if self.peek() is not None else None
        if token == "!":
            return Not(self.unary())
        if token == "(":
            node = self.disjunction()
            if self.peek() != ")":
                raise Unsupported("unbalanced parentheses")
            self.take()
            return node
        if isinstance(token, Lexeme):
            return token
        raise Unsupported(f"unexpected {token!r} in a tsquery")


def _positions(vector: Vector, lexeme: Lexeme) -> set[int]:
    found: set[int] = set()
    for word, entries in vector.items():
        if word == lexeme.word or (lexeme.prefix and word.startswith(lexeme.word)):
            found.update(p for p, w in entries if not lexeme.weights or w in lexeme.weights)
    return found


def _present(vector: Vector, lexeme: Lexeme) -> bool:
    for word, entries in vector.items():
        if word == lexeme.word or (lexeme.prefix and word.startswith(lexeme.word)):
            if not entries:
                if lexeme.weights:
                    raise Unsupported("a weight on a lexeme without positions")
                return True
            if not lexeme.weights or any(w in lexeme.weights for _, w in entries):
                return True
    return False


def _ends(vector: Vector, node: Node) -> tuple[set[int], int]:
    """Where a phrase operand's matches end, and its width (its span less one)."""
    if isinstance(node, Lexeme):
        for word, entries in vector.items():
            if not entries and (word == node.word or (node.prefix and word.startswith(node.word))):
                raise Unsupported("a lexeme without positions in a phrase")
        return _positions(vector, node), 0
    if isinstance(node, Phrase):
        left, lwidth = _ends(vector, node.left)
        right, rwidth = _ends(vector, node.right)
        ends = {r for r in right if r - rwidth - node.distance in left}
        return ends, lwidth + node.distance + rwidth
    raise Unsupported("a boolean operator inside a phrase")


def matches(vector: Vector, node: Node) -> bool:
    """`vector @@ query` as the manual defines it."""
    if isinstance(node, Lexeme):
        return _present(vector, node)
    if isinstance(node, Not):
        return not matches(vector, node.operand)
    if isinstance(node, Bool):
        if node.op == "&":
            return matches(vector, node.left) and matches(vector, node.right)
        return matches(vector, node.left) or matches(vector, node.right)
    return bool(_ends(vector, node)[0])


__all__ = ["Node", "Unsupported", "matches", "parse_query", "parse_vector"]
