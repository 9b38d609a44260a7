"""The generator's determinism rules, read from a statement's text, for reduction candidates.

The generator draws only queries whose answer is a function of the data (`oracles.shape`):
no volatile function, no LIMIT without a total ORDER BY, no order-sensitive aggregate without
its ORDER BY, only peer-stable window functions and no ROWS frames, no ASOF or POSITIONAL
join, no DISTINCT ON. A reduction edits text, and an edit may break a rule the original kept
(dropping `ORDER BY a, b` and keeping `LIMIT 1`): the candidate may then "show the problem"
by chance, and the reduced case is no longer a bug. The reducer refuses such a candidate.

The rules are the tree's, applied per parenthesised scope of the tokens: a text has no
syntax tree, but each SELECT with its ORDER BY and LIMIT lives in one scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fuzzer.script import ScriptError, Token, split_list, tokens
from oracles.shape import (
    ORDER_SENSITIVE_AGGREGATES,
    PEER_STABLE_WINDOW_FUNCTIONS,
    VOLATILE_FUNCTIONS,
)

_LIMITS = frozenset({"LIMIT", "OFFSET", "FETCH"})
_SET_OPERATORS = frozenset({"UNION", "INTERSECT", "EXCEPT", "MINUS"})
_ORDER_WORDS = frozenset({"ASC", "DESC", "NULLS", "FIRST", "LAST"})


@dataclass
class _Scope:
    """The tokens of one parenthesised group (or the statement), nested groups apart."""

    items: list[Token | _Scope] = field(default_factory=list)
    start: int = 0
    end: int = 0


def _nest(toks: list[Token], length: int) -> _Scope:
    root = _Scope(start=0, end=length)
    stack = [root]
    for tok in toks:
        if tok.kind == "open":
            child = _Scope(start=tok.end)
            stack[-1].items.append(child)
            stack.append(child)
        elif tok.kind == "close" and len(stack) > 1:
            stack[-1].end = tok.start
            stack.pop()
        else:
            stack[-1].items.append(tok)
    for open_scope in stack[1:]:
        open_scope.end = length
    return root


def nondeterminism(sql: str) -> str | None:
    """Why the statement's answer may not be a function of the data; None when it is."""
    try:
        toks = tokens(sql)
    except ScriptError:
        return None  # not SQL the lexer reads: the engine decides
    return _scope(sql, _nest(toks, len(sql)))


def deterministic(sql: str) -> bool:
    return nondeterminism(sql) is None


def _scope(sql: str, scope: _Scope) -> str | None:
    items = scope.items
    for n, item in enumerate(items):
        if isinstance(item, _Scope):
            found = _scope(sql, item)
            if found:
                return found
            continue
        word = item.upper if item.kind == "word" else ""
        nxt = items[n + 1] if n + 1 < len(items) else None
        call = isinstance(nxt, _Scope)
        name = word.lower()
        if name in VOLATILE_FUNCTIONS and (call or name.startswith(("current_", "local"))):
            return f"volatile function {name}"
        if call and name in ORDER_SENSITIVE_AGGREGATES and not _ordered_call(items, n):
            return f"{name} without ORDER BY"
        if word == "OVER" and n > 0:
            found = _window(items, n)
            if found:
                return found
        if word in ("ASOF", "POSITIONAL"):
            return f"{word} join"
        if word == "DISTINCT" and isinstance(nxt, Token) and nxt.upper == "ON":
            return "DISTINCT ON"
    return _limit(sql, scope)


def _words(items: list[Token | _Scope]) -> list[str]:
    return [i.upper for i in items if isinstance(i, Token) and i.kind == "word"]


def _ordered_call(items: list[Token | _Scope], n: int) -> bool:
    """An order-sensitive aggregate with ORDER BY in its call or WITHIN GROUP after it."""
    call = items[n + 1]
    assert isinstance(call, _Scope)
    if "ORDER" in _words(call.items):
        return True
    after = items[n + 2 : n + 4]
    return [i.upper for i in after if isinstance(i, Token)] == ["WITHIN", "GROUP"]


def _window(items: list[Token | _Scope], n: int) -> str | None:
    before = items[n - 1]
    function = items[n - 2] if isinstance(before, _Scope) and n >= 2 else before
    if isinstance(function, Token) and function.kind == "word":
        name = function.text.lower()
        if name not in PEER_STABLE_WINDOW_FUNCTIONS:
            return f"window function {name}"
    spec = items[n + 1] if n + 1 < len(items) else None
    if isinstance(spec, _Scope) and "ROWS" in _words(spec.items):
        return "ROWS frame"
    return None


def _limit(sql: str, scope: _Scope) -> str | None:
    """LIMIT, OFFSET or FETCH in this scope's query without an ORDER BY that fixes every row."""
    items = scope.items
    words = _words(items)
    if not _LIMITS & set(words) or "SELECT" not in words:
        return None
    if "FETCH" in words and "TIES" in words and "OFFSET" not in words:
        return None  # WITH TIES: every row tying with the last, one multiset
    order = _last_index(items, "ORDER")
    if order is None:
        return "LIMIT without ORDER BY"
    limit = next((n for n, i in enumerate(items)
                  if n > order and isinstance(i, Token) and i.upper in _LIMITS), len(items))
    ordered = {_normal(_strip_order(t)) for t in split_list(_text(sql, items, order + 2, limit))}
    set_operation = bool(_SET_OPERATORS & set(words))
    for number, item in enumerate(_select_list(sql, items), start=1):
        expr, alias = _alias(item)
        named = _normal(expr) in ordered or (alias and _normal(alias) in ordered)
        if named and not set_operation:  # a set operation's ORDER BY names positions
            continue
        if str(number) in ordered:
            continue
        return "LIMIT without a total ORDER BY"
    return None


def _last_index(items: list[Token | _Scope], word: str) -> int | None:
    found = [n for n, i in enumerate(items) if isinstance(i, Token) and i.upper == word]
    return found[-1] if found else None


def _text(sql: str, items: list[Token | _Scope], lo: int, hi: int) -> str:
    """The text from item lo to before item hi."""
    if lo >= hi:
        return ""
    first, last = items[lo], items[hi - 1]
    start = first.start - 1 if isinstance(first, _Scope) else first.start
    end = last.end + 1 if isinstance(last, _Scope) else last.end
    return sql[start:end]


def _select_list(sql: str, items: list[Token | _Scope]) -> list[str]:
    """The select items of this scope's (first) SELECT."""
    select = next(n for n, i in enumerate(items) if isinstance(i, Token) and i.upper == "SELECT")
    ends = [n for n, i in enumerate(items) if n > select and isinstance(i, Token)
            and i.upper in ("FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "QUALIFY", "ORDER",
                            *_SET_OPERATORS, *_LIMITS)]  # fmt: skip
    start = select + 1
    if start < len(items) and isinstance(items[start], Token) and \
            items[start].upper in ("ALL", "DISTINCT"):  # type: ignore[union-attr]  # fmt: skip
        start += 1
    return split_list(_text(sql, items, start, ends[0] if ends else len(items)))


def _alias(item: str) -> tuple[str, str | None]:
    toks = tokens(item)
    depth = 0
    for tok in toks:
        depth += (tok.kind == "open") - (tok.kind == "close")
        if depth == 0 and tok.upper == "AS":
            return item[: tok.start], item[tok.end :].strip()
    return item, None


def _strip_order(item: str) -> str:
    toks = tokens(item)
    while toks and toks[-1].upper in _ORDER_WORDS:
        toks.pop()
    return item[: toks[-1].end] if toks else item


def _normal(text: str) -> str:
    return " ".join(t.text.lower().strip('"`') for t in tokens(text))
