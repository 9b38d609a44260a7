"""SQL scripts as text: splitting into statements, and finding a query's top-level clauses.

`fuzz check` and `fuzz reduce` take scripts a human wrote or a fuzzer stored. Splitting on `;`
must respect strings, quoted identifiers, comments and PostgreSQL's dollar quoting; locating a
query's WHERE clause must ignore the WHERE of every subquery. Both need only a lexer, not a
grammar, so they work on any dialect's text, even SQL the generator would never write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|(?<!<)\#(?!>|-\s*')[^\n]*|/\*.*?\*/)
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$.*?\$(?P=tag)\$)
    | (?P<string>[EeXxBbNn]?'(?:[^'\\]|''|\\.)*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<word>[A-Za-z_][\w$]*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<semicolon>;)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class ScriptError(ValueError):
    """The text is not a SQL script sqlparity can split (an unterminated string, say)."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokens(sql: str, lexicon: Lexicon | None = None, *, comments: bool = False) -> list[Token]:
    """The tokens of `sql`, read as any dialect might (the default) or exactly as `lexicon` says.

    Read as any dialect might, `#` opens a MySQL comment except inside PostgreSQL's operators
    `<#>`, `#>`, `#>>` and `#- '...'`: a script of either dialect splits. (A bare `#`, the
    PostgreSQL XOR, still reads as a comment; a guard reads with its server's exact lexicon.)

    Comments are dropped unless `comments`: a guard must see MySQL's executable ones.
    """
    if lexicon is not None:
        return lexicon.tokens(sql, comments)
    found = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        if kind == "space" or (kind == "comment" and not comments):
            continue
        if kind == "other" and m.group() in "'\"`":
            raise ScriptError(f"unterminated quote at offset {m.start()}")
        found.append(Token(kind or "other", m.group(), m.start(), m.end()))
    return found


@dataclass(frozen=True)
class Lexicon:
    """How one family of servers reads SQL text, to the character.

    Splitting a script may be approximate; a statement guard may not: wherever its reading and
    the server's disagree about where a string or a comment ends, a statement hides in the gap
    (`'\\'; DROP ...` is one string to a lexer with backslash escapes and two statements to
    PostgreSQL). The differences are few, and each is a field here.
    """

    #: `'...'` strings take backslash escapes (MySQL; PostgreSQL only when
    #: standard_conforming_strings is off), besides the `E'...'` strings that always do
    backslash_strings: bool
    #: `"..."` is a string (MySQL without ANSI_QUOTES) rather than a quoted identifier
    double_quoted_strings: bool = False
    #: `# ...` is a comment (MySQL), not an operator (PostgreSQL)
    hash_comments: bool = False
    #: `--` opens a comment only before a space or control character (MySQL: `1--1` is 2)
    dash_comment_needs_space: bool = False
    #: `/* /* */ */` is one comment (PostgreSQL)
    nested_comments: bool = False
    #: `$tag$ ... $tag$` strings (PostgreSQL)
    dollar_quotes: bool = False
    #: prefixes of strings that always take backslash escapes
    escape_prefixes: str = "Ee"
    #: an unquoted name may start with a digit (MySQL: `1x` is a name)
    digit_names: bool = False

    def tokens(self, sql: str, comments: bool = False) -> list[Token]:
        pattern = _pattern(self)
        found: list[Token] = []
        pos, end = 0, len(sql)
        while pos < end:
            m = pattern.match(sql, pos)
            assert m is not None  # `other` matches any character
            kind, stop = m.lastgroup or "other", m.end()
            if kind == "other" and m.group() in "'\"`":
                raise ScriptError(f"unterminated quote at offset {m.start()}")
            if self.nested_comments and sql.startswith("/*", pos):
                stop = _nested_comment_end(sql, pos)
                kind = "comment"
            if kind != "space" and (kind != "comment" or comments):
                found.append(Token(kind, sql[pos:stop], pos, stop))
            pos = stop
        return found


def _nested_comment_end(sql: str, start: int) -> int:
    depth, pos = 0, start
    while pos < len(sql):
        if sql.startswith("/*", pos):
            depth, pos = depth + 1, pos + 2
        elif sql.startswith("*/", pos):
            depth, pos = depth - 1, pos + 2
            if depth == 0:
                return pos
        else:
            pos += 1
    raise ScriptError(f"unterminated comment at offset {start}")


_PATTERNS: dict[Lexicon, re.Pattern[str]] = {}


def _pattern(lex: Lexicon) -> re.Pattern[str]:
    if lex in _PATTERNS:
        return _PATTERNS[lex]
    # Comments end at either line break: where a server ends them at \n only, the guard reads
    # more as code than the server does, which can refuse too much but never hide anything.
    dash = r"--(?=[\x00-\x20])[^\n\r]*" if lex.dash_comment_needs_space else r"--[^\n\r]*"
    comment = dash + (r"|\#[^\n\r]*" if lex.hash_comments else "") + r"|/\*.*?\*/"
    escaped = r"(?:[^'\\]|''|\\.)*'"
    plain = escaped if lex.backslash_strings else r"(?:[^']|'')*'"
    strings = [f"[XxBbNn]?'{plain}"]
    if lex.escape_prefixes:
        strings.insert(0, f"[{lex.escape_prefixes}]'{escaped}")
    double = r'"(?:[^"\\]|""|\\.)*"' if lex.backslash_strings else r'"(?:[^"]|"")*"'
    quoted = ["`(?:[^`]|``)*`"]
    (strings if lex.double_quoted_strings else quoted).append(double)
    name_char = r"[\w$]|[^\x00-\x7f]"
    name_start = r"[A-Za-z_]|[^\x00-\x7f]"
    number = r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
    if lex.digit_names:
        number = f"(?:{number})(?!{name_char})"
        word = f"(?:{name_char})+"
    else:
        word = f"(?:{name_start})(?:{name_char})*"
    dollar = rf"\$(?P<tag>(?:{name_start})(?:\w|[^\x00-\x7f])*|)\$.*?\$(?P=tag)\$"
    parts = [
        r"(?P<space>\s+)",
        f"(?P<comment>{comment})",
        *([f"(?P<dollar>{dollar})"] if lex.dollar_quotes else []),
        f"(?P<string>{'|'.join(strings)})",
        f"(?P<quoted>{'|'.join(quoted)})",
        f"(?P<number>{number})",
        f"(?P<word>{word})",
        r"(?P<open>\()",
        r"(?P<close>\))",
        r"(?P<semicolon>;)",
        r"(?P<other>.)",
    ]
    _PATTERNS[lex] = re.compile("|".join(parts), re.DOTALL)
    return _PATTERNS[lex]


def split(script: str, *, comments: bool = False) -> list[str]:
    """The statements of a script, without their `;` and surrounding comments; with
    `comments`, with those before each statement (what the isolation oracle tags them by)."""
    statements, start = [], None
    last_end, code = 0, False
    for tok in tokens(script, comments=comments):
        if tok.kind == "semicolon":
            if start is not None and code:
                statements.append(script[start:last_end])
            start, code = None, False
            continue
        if start is None:
            start = tok.start
        code = code or tok.kind != "comment"
        if tok.kind != "comment":
            last_end = tok.end
    if start is not None and code:
        statements.append(script[start:last_end])
    return statements


def statement_tokens(sql: str, lexicon: Lexicon) -> list[list[Token]]:
    """The tokens of each statement of `sql`, read exactly as `lexicon` says, split at `;`
    (an empty statement is an empty list): what a statement guard looks at, one by one.
    Raises ScriptError where the lexicon cannot read the text."""
    statements: list[list[Token]] = [[]]
    for tok in tokens(sql, lexicon):
        if tok.kind == "semicolon":
            statements.append([])
        else:
            statements[-1].append(tok)
    return statements


def is_query(statement: str) -> bool:
    """A statement that returns rows and changes nothing: what the oracles check."""
    toks = tokens(statement)
    return bool(toks) and (toks[0].upper in ("SELECT", "WITH", "VALUES") or toks[0].text == "(")


# -- the top-level clauses of a query ----------------------------------------------------------

_CLAUSE_WORDS = {"FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "QUALIFY", "ORDER", "LIMIT",
                 "OFFSET", "FETCH", "UNION", "INTERSECT", "EXCEPT", "MINUS", "FOR"}  # fmt: skip
_AGGREGATE = re.compile(r"^\s*(COUNT|SUM|MIN|MAX|AVG)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Clauses:
    """Character spans of the main SELECT's clauses: (start, end) of each clause's body."""

    sql: str
    prefix_end: int  # where the main SELECT keyword starts (after any WITH list)
    distinct: bool
    select_list: tuple[int, int]
    from_: tuple[int, int] | None
    where: tuple[int, int] | None
    where_keyword: int | None
    group_by: tuple[int, int] | None
    having: tuple[int, int] | None
    having_keyword: int | None
    tail: int  # where ORDER BY / LIMIT / ... begin (or the end)
    limited: bool  # LIMIT, OFFSET or FETCH at top level
    set_operation: bool

    def text(self, span: tuple[int, int] | None) -> str:
        return "" if span is None else self.sql[span[0] : span[1]].strip()

    @property
    def single_aggregate(self) -> tuple[str, str] | None:
        """(name, argument) when the select list is exactly one aggregate call."""
        items = split_list(self.text(self.select_list))
        if len(items) != 1:
            return None
        m = _AGGREGATE.match(_strip_alias(items[0]))
        if not m or not _balanced(m.group(2)) or m.group(2).strip().upper().startswith("DISTINCT"):
            return None
        return m.group(1).upper(), m.group(2).strip()


def _balanced(text: str) -> bool:
    depth = 0
    for tok in tokens(text):
        depth += tok.kind == "open"
        depth -= tok.kind == "close"
        if depth < 0:
            return False
    return depth == 0


def _strip_alias(item: str) -> str:
    toks = tokens(item)
    depth = 0
    for tok in toks:
        depth += (tok.kind == "open") - (tok.kind == "close")
        if depth == 0 and tok.upper == "AS":
            return item[: tok.start]
    return item


def split_list(text: str) -> list[str]:
    """Split a comma-separated list at its top level."""
    parts, depth, start = [], 0, 0
    for tok in tokens(text):
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth -= 1
        elif tok.text == "," and depth == 0:
            parts.append(text[start : tok.start].strip())
            start = tok.end
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def clauses(sql: str) -> Clauses | None:
    """The main SELECT's clauses, or None when the text is not a SELECT sqlparity can split."""
    toks = tokens(sql)
    depth = 0
    top: list[tuple[int, Token]] = []  # (index, token) at depth 0
    for index, tok in enumerate(toks):
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth -= 1
        elif depth == 0:
            top.append((index, tok))
    words = [(idx, t) for idx, t in top if t.kind == "word"]
    selects = [t for _, t in words if t.upper == "SELECT"]
    if not selects:
        return None
    select = selects[0]
    after = [t for _, t in words if t.start > select.start]
    set_operation = any(t.upper in ("UNION", "INTERSECT", "EXCEPT", "MINUS") for t in after)
    first_after = next((t for t in toks if t.start > select.start), None)
    distinct = first_after is not None and first_after.upper == "DISTINCT"
    if first_after is not None and first_after.upper in ("ALL", "DISTINCT"):
        list_start = first_after.end
        if distinct:
            nxt = next((t for t in toks if t.start > first_after.start), None)
            if nxt is not None and nxt.upper == "ON":
                return None  # DISTINCT ON: nondeterministic without a total order
    else:
        list_start = select.end
    marks: list[tuple[str, Token]] = []
    for idx, t in enumerate(after):
        word = t.upper
        followed_by_by = idx + 1 < len(after) and after[idx + 1].upper == "BY"
        if word in _CLAUSE_WORDS and (word not in ("GROUP", "ORDER") or followed_by_by):
            marks.append((word, t))

    def span_of(word: str) -> tuple[Token, tuple[int, int]] | None:
        for n, (w, t) in enumerate(marks):
            if w == word:
                body_start = t.end
                if word in ("GROUP", "ORDER"):
                    body_start = next(x for x in after if x.start > t.start).end
                end = marks[n + 1][1].start if n + 1 < len(marks) else len(sql)
                return t, (body_start, end)
        return None

    first_mark = marks[0][1].start if marks else len(sql)
    found = {w: span_of(w) for w in ("FROM", "WHERE", "GROUP", "HAVING")}
    tail_words = [t.start for w, t in marks if w in ("WINDOW", "QUALIFY", "ORDER", "LIMIT",
                                                      "OFFSET", "FETCH", "FOR")]  # fmt: skip
    return Clauses(
        sql=sql,
        prefix_end=select.start,
        distinct=distinct,
        select_list=(list_start, first_mark),
        from_=found["FROM"][1] if found["FROM"] else None,
        where=found["WHERE"][1] if found["WHERE"] else None,
        where_keyword=found["WHERE"][0].start if found["WHERE"] else None,
        group_by=found["GROUP"][1] if found["GROUP"] else None,
        having=found["HAVING"][1] if found["HAVING"] else None,
        having_keyword=found["HAVING"][0].start if found["HAVING"] else None,
        tail=min(tail_words) if tail_words else len(sql),
        limited=any(w in ("LIMIT", "OFFSET", "FETCH") for w, _ in marks),
        set_operation=set_operation,
    )


KEYWORDS = frozenset(
    """SELECT DISTINCT FROM WHERE GROUP HAVING ORDER LIMIT OFFSET JOIN LEFT RIGHT FULL INNER
    OUTER CROSS NATURAL USING ON LATERAL UNION INTERSECT EXCEPT ALL WITH RECURSIVE CASE WHEN
    THEN ELSE END CAST AND OR NOT IS NULL TRUE FALSE IN EXISTS ANY SOME BETWEEN LIKE ILIKE GLOB
    REGEXP RLIKE SIMILAR COLLATE OVER PARTITION ROWS RANGE GROUPS FILTER ESCAPE INTERVAL
    DESC ASC NULLS FIRST LAST AS VALUES DIV MOD XOR""".split()
)
#: operators of more than one character, longest first: `<=` is one feature, not `<` and `=`
OPERATORS = ("<=>", "->>", "#>>", "!~*", "<>", "<=", ">=", "!=", "||", "::", "->", "<<", ">>",
             "@>", "<@", "&&", "!~", "~*", "#>", "^@")


def features(sql: str, lexicon: Lexicon | None = None) -> frozenset[str]:
    """Keywords, operators and function names of a query, without its literals and names;
    read as `lexicon` says when given (a backslash in a PostgreSQL string is no escape)."""
    found: set[str] = set()
    toks = tokens(sql, lexicon)
    for n, tok in enumerate(toks):
        if tok.kind == "word":
            nxt = toks[n + 1] if n + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "open" and tok.upper not in KEYWORDS:
                found.add(f"func:{tok.text.lower()}")
            elif tok.upper in KEYWORDS:
                found.add(f"kw:{tok.upper}")
    for op in _operators(sql, toks):
        found.add(f"op:{op}")
    return frozenset(found)


#: what comes before the `*` of all columns (`SELECT *`, `t.*`, `COUNT(*)`), not a product
_BEFORE_STAR = frozenset({",", ".", "(", "SELECT", "DISTINCT", "ALL"})


def _star(toks: list[Token], n: int) -> bool:
    """The token at n is the `*` of all columns, no multiplication."""
    if toks[n].text != "*":
        return False
    return n == 0 or toks[n - 1].text in _BEFORE_STAR or toks[n - 1].upper in _BEFORE_STAR


def _operators(sql: str, toks: list[Token]) -> list[str]:
    """The operators of a query: runs of adjacent one-character tokens, read longest first."""
    found, n = [], 0
    while n < len(toks):
        tok = toks[n]
        if tok.kind != "other" or tok.text in ",.;" or _star(toks, n):
            n += 1
            continue
        end = n + 1
        while end < len(toks) and toks[end].kind == "other" and \
                toks[end].start == toks[end - 1].end:  # fmt: skip
            end += 1
        run = sql[tok.start : toks[end - 1].end]
        while run:
            op = next((o for o in OPERATORS if run.startswith(o)), run[0])
            if op not in ",.;":
                found.append(op)
            run = run[len(op) :]
        n = end
    return found
#: words before `(` whose FROM is part of the call, not a FROM clause
_FROM_IN_CALL = frozenset({"EXTRACT", "SUBSTRING", "TRIM", "OVERLAY", "SUBSTR"})
#: words that make more rows of one: set-returning functions, VALUES lists, set operations
_MORE_ROWS = frozenset({"VALUES", "UNION", "INTERSECT", "EXCEPT", "MINUS", "GENERATE_SERIES",
                        "UNNEST", "REGEXP_MATCHES", "REGEXP_SPLIT_TO_TABLE", "STRING_TO_TABLE",
                        "JSON_EACH", "JSONB_EACH", "JSON_ARRAY_ELEMENTS", "JSONB_ARRAY_ELEMENTS",
                        "JSON_TABLE", "JSONB_OBJECT_KEYS", "JSON_OBJECT_KEYS", "RANGE",
                        "JSONB_PATH_QUERY", "JSON_EACH_TEXT", "JSONB_EACH_TEXT",
                        "JSON_ARRAY_ELEMENTS_TEXT", "JSONB_ARRAY_ELEMENTS_TEXT",
                        "WITH"})  # fmt: skip


def one_row(sql: str) -> bool:
    """The statement is a SELECT that reads no relation anywhere (no FROM clause, no VALUES,
    no set operation, no set-returning call): it evaluates each of its expressions once, on
    one row, so no row order or plan chooses which row meets an error first."""
    try:
        toks = tokens(sql)
    except ScriptError:
        return False
    if not toks or toks[0].upper != "SELECT":
        return False
    calls: list[str] = []  # the word before each open parenthesis, innermost last
    for n, tok in enumerate(toks):
        before = toks[n - 1].upper if n else ""
        if tok.kind == "open":
            calls.append(before)
        elif tok.kind == "close" and calls:
            calls.pop()
        elif tok.kind == "word":
            word = tok.upper
            if word in _MORE_ROWS:
                return False
            in_call = bool(calls) and calls[-1] in _FROM_IN_CALL
            if word == "FROM" and before != "DISTINCT" and not in_call:
                return False
    return True
