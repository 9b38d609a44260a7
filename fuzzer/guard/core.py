"""The shared core of the statement guard: read a statement as its server would, then judge it.

A server engine's scratch space is one database (or schema) on a server that holds the user's
own. A statement sqlparity did not generate (a user's script, a stored finding) may reach
past it: drop another database's table, read a server file, become another role. The guard
reads each statement with the server's own lexical rules and refuses, before anything is
sent, whatever acts outside the scratch space. It is the first line only: where the server
allows it, the scratch session also runs as a role that owns nothing else.

The rules are data (`Rules`), one module per dialect family; the checks a table cannot say
(a COPY's target, a PREPARE's text) are that module's `hooks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fuzzer.engines.base import SCRATCH_PREFIX, Refused
from fuzzer.script import Lexicon, ScriptError, Token


@dataclass(frozen=True)
class Scope:
    """The names a scratch session may qualify with, as the catalog showed them (lower case)."""

    #: the scratch's own schema and database
    own: frozenset[str]
    #: every other database and schema on the server: never a qualifier
    foreign: frozenset[str] = frozenset()
    #: system catalogs a query may read but no statement may change
    readable: frozenset[str] = frozenset()

    @classmethod
    def of(cls, own: set[str], seen: set[str], readable: set[str]) -> Scope:
        own_l = {n.lower() for n in own}
        read_l = {n.lower() for n in readable}
        return cls(
            frozenset(own_l),
            frozenset({n.lower() for n in seen} - own_l - read_l),
            frozenset(read_l),
        )


Hook = Callable[["Statement"], "str | None"]


@dataclass(frozen=True)
class Rules:
    """One dialect family's refusals. Every reason is a short clause fit for one line."""

    #: how the server reads text with its default settings
    lexicon: Lexicon
    #: how it reads the same text when a session changes its string settings; where the two
    #: readings disagree about where a token ends, the statement is refused
    alternate: Lexicon
    #: statement openings (verb, then words after `noise`) that are refused
    heads: Mapping[tuple[str, ...], str]
    #: words skipped after the verb when matching heads (`CREATE OR REPLACE TEMPORARY ...`)
    noise: frozenset[str]
    #: word sequences refused wherever they appear
    phrases: Mapping[tuple[str, ...], str]
    #: function and object names refused wherever they appear (lower case)
    names: Mapping[str, str]
    #: name prefixes refused wherever they appear (lower case)
    name_prefixes: Mapping[str, str]
    #: statement openings whose text holds routine code: heads are looked for at every word
    routines: tuple[tuple[str, ...], ...]
    #: words refused inside routine code (dynamic SQL)
    in_routines: Mapping[str, str]
    #: statement openings that wrap another statement anywhere in their text (EXPLAIN ...)
    wrappers: tuple[tuple[str, ...], ...]
    #: comments the server runs as code (MySQL's `/*! ... */`), by prefix
    code_comments: tuple[str, ...] = ()
    #: queries start with one of these words
    query_words: frozenset[str] = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "(", "SHOW"})
    #: words that make a query write
    writing_words: frozenset[str] = frozenset(
        {
            "INSERT",
            "UPDATE",
            "DELETE",
            "MERGE",
            "INTO",
            "CREATE",
            "DROP",
            "ALTER",
            "TRUNCATE",
            "COPY",
            "CALL",
            "DO",
            "GRANT",
            "REVOKE",
            "LOCK",
            "REPLACE",
        }
    )
    #: the dialect's own checks, in order
    hooks: tuple[Hook, ...] = field(default=())
    #: phrases by their first word, and the prefixes as one pattern: read once per token
    phrases_by_start: dict[str, list[tuple[tuple[str, ...], str]]] = field(init=False, repr=False)
    prefix_pattern: re.Pattern[str] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_start: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, reason in self.phrases.items():
            by_start.setdefault(phrase[0], []).append((phrase, reason))
        object.__setattr__(self, "phrases_by_start", by_start)
        prefixes = sorted(self.name_prefixes, key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, prefixes))) if prefixes else None
        object.__setattr__(self, "prefix_pattern", pattern)


@dataclass
class Statement:
    """One statement as the guard sees it: its tokens, their keys, and where it may reach."""

    text: str
    tokens: list[Token]
    guard: Guard
    routine: bool = False  # the statement is (part of) routine code

    def __post_init__(self) -> None:
        self.keys = [key(t) for t in self.tokens]

    @property
    def rules(self) -> Rules:
        return self.guard.rules

    @property
    def scope(self) -> Scope:
        return self.guard.scope

    def head(self, start: int = 0) -> tuple[list[str], int]:
        """The keys from `start` on without the noise words after the verb, and how many."""
        if start >= len(self.keys):
            return [], 0
        rest = self.keys[start + 1 :]
        n = 0
        while n < len(rest) and rest[n] in self.rules.noise:
            n += 1
        return [self.keys[start], *rest[n:]], n

    def opens(self, *words: str) -> bool:
        return tuple(self.head()[0][: len(words)]) == words

    def depths(self) -> list[int]:
        """The parenthesis depth of each token."""
        out, depth = [], 0
        for tok in self.tokens:
            if tok.kind == "close":
                depth -= 1
            out.append(depth)
            if tok.kind == "open":
                depth += 1
        return out

    def is_read(self) -> bool:
        return (
            bool(self.keys)
            and self.keys[0] in self.rules.query_words
            and not any(k in self.rules.writing_words for k in self.keys)
        )

    def judge(self, text: str, routine: bool = False) -> str | None:
        """The verdict on a statement nested in this one (a PREPARE's text, a routine body)."""
        return self.guard.verdict(text, routine=routine or self.routine)


def show(keys: Sequence[str]) -> str:
    """Keys as a reader would write them: `SET SESSION AUTHORIZATION`, `@@GLOBAL`, `DEFINER=`."""
    return " ".join(keys).replace("@ @ ", "@@").replace(" =", "=")


def key(tok: Token) -> str:
    """What a token means to the rules: a word in upper case, an identifier unquoted."""
    if tok.kind == "word":
        return tok.upper
    if tok.kind == "quoted":
        return unquote(tok.text).upper()
    return tok.text


def unquote(text: str) -> str:
    """The name or text inside a quoted identifier or a simple string literal."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"`'":
        q = text[0]
        return text[1:-1].replace(q + q, q)
    return text


def name_of(tok: Token) -> str | None:
    """The name a token spells, lower case, or None when it is not a name."""
    if tok.kind == "word":
        return tok.text.lower()
    if tok.kind == "quoted" or (tok.kind == "string" and tok.text.startswith('"')):
        return unquote(tok.text).lower()
    return None


class Guard:
    """Judges statements for one scratch session: `admit` raises Refused, having run nothing."""

    def __init__(self, rules: Rules, scope: Scope) -> None:
        self.rules = rules
        self.scope = scope

    def admit(self, sql: str) -> None:
        reason = self.verdict(sql)
        if reason is not None:
            raise Refused(sql, reason)

    def verdict(self, sql: str, routine: bool = False) -> str | None:
        """None when `sql` may run; else why not."""
        try:
            toks = self.rules.lexicon.tokens(sql, comments=True)
            other = self.rules.alternate.tokens(sql, comments=True)
        except ScriptError as exc:
            return f"the server cannot read it either ({exc})"
        if [(t.start, t.end) for t in toks] != [(t.start, t.end) for t in other]:
            return "its strings read differently under the server's other string settings"
        for tok in toks:
            if tok.kind == "comment" and tok.text.startswith(self.rules.code_comments):
                return f"the server runs `{tok.text[:4]}` comments as code"
        toks = [t for t in toks if t.kind != "comment"]
        while toks and toks[-1].kind == "semicolon":
            toks.pop()
        if not toks:
            return None
        if not routine and any(t.kind == "semicolon" for t in toks):
            return "it holds more than one statement"
        stmt = Statement(sql, toks, self, routine)
        return _judge(stmt)


def _judge(stmt: Statement) -> str | None:
    rules = stmt.rules
    everywhere = stmt.routine or any(stmt.opens(*w) for w in rules.routines + rules.wrappers)
    starts = range(len(stmt.keys)) if everywhere else (0,)
    for start in starts:
        if stmt.tokens[start].kind != "word":
            continue
        head, skipped = stmt.head(start)
        for pattern, reason in rules.heads.items():
            if tuple(head[: len(pattern)]) == pattern:
                said = stmt.keys[
                    start : start + len(pattern) + (skipped if len(pattern) > 1 else 0)
                ]
                return f"{show(said)}: {reason}"
    if stmt.routine or any(stmt.opens(*w) for w in rules.routines):
        for k in stmt.keys:
            if k in rules.in_routines:
                return f"{k} in routine code: {rules.in_routines[k]}"
    phrases = rules.phrases_by_start
    for n, k in enumerate(stmt.keys):
        for phrase, reason in phrases.get(k, ()):
            if tuple(stmt.keys[n : n + len(phrase)]) == phrase:
                return f"{show(phrase)}: {reason}"
    for tok in stmt.tokens:
        name = name_of(tok)
        if name is None:
            continue
        if name in rules.names:
            return f"{name}: {rules.names[name]}"
        if rules.prefix_pattern is not None and (m := rules.prefix_pattern.match(name)):
            return f"{name}: {rules.name_prefixes[m.group()]}"
    reason = _qualifiers(stmt)
    if reason is not None:
        return reason
    for hook in rules.hooks:
        reason = hook(stmt)
        if reason is not None:
            return reason
    return None


def _qualifiers(stmt: Statement) -> str | None:
    """Refuse `other.thing` where `other` is another database or schema."""
    scope = stmt.scope
    for tok, nxt in zip(stmt.tokens, stmt.tokens[1:], strict=False):
        if not nxt.text.startswith("."):  # `x.y`, and `x.1y`, which lexes as x and .1 y
            continue
        name = name_of(tok)
        if name is None or name in scope.own:
            continue
        if name in scope.foreign or name.startswith(SCRATCH_PREFIX):
            return f"`{name}.` names another database or schema"
        if name in scope.readable and not stmt.is_read():
            return f"`{name}.` is the server's catalog: only a query may read it"
    return None


def after(stmt: Statement, index: int, *skip: str) -> int:
    """The index of the first token after `index` whose key is not in `skip`."""
    n = index + 1
    while n < len(stmt.keys) and stmt.keys[n] in skip:
        n += 1
    return n
