"""Function and operator libraries: one declarative signature table per dialect.

Each dialect's module here (`postgres.py`, `mysql.py`, ...) declares, for every function,
operator, aggregate and window function of its manual that the generator may call, what it
takes and returns (type families), how the dialect spells it, whether its result is a
function of its arguments, and which errors it may raise on arguments the generator makes.
The generator types its calls from these tables; the renderer spells them from them; the
validity bench counts them. A function is added by adding one line to its dialect's table.

    fn("LPAD", "text, lit:len, lit:pad -> text")
    op("&", "int, int -> int", "({0} & {1})")
    agg("BIT_AND", "int -> int")
    win("NTILE", "lit:buckets -> int", deterministic=False)

An argument is a family ("int", "text", ...), `lit:KIND` for a literal drawn from `LITERALS`
(arguments whose range matters: lengths, positions, formats, keys), or `abs:FAMILY` for the
absolute value of an expression (square roots, logarithms). `any` as an argument and result
stands for one family the generator picks per call (COALESCE, LAG), `any[]` for an array of
it: such a signature is expanded over the families of `families` (default: all equatable
families).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from fuzzer import ast as A

if TYPE_CHECKING:
    from fuzzer.dialects.base import Dialect

#: A spelling: a format string over the rendered arguments (`{0}`, `{1}`, or `{*}` for all of
#: them, comma-separated) or a callable for spellings a format cannot express.
Template = str | Callable[["Dialect", list[str], A.Func], str]
Kind = Literal["function", "operator", "aggregate", "window"]

#: Families `any` expands to unless a signature names its own.
EQUATABLE = ("int", "numeric", "float", "text", "bool", "date", "time", "timestamp", "blob",
             "interval", "uuid")  # fmt: skip

#: Literal argument kinds: the values a `lit:KIND` argument is drawn from, and their type.
LITERALS: dict[str, tuple[A.SQLType, tuple[object, ...]]] = {
    "text": (A.TEXT, ("a", "b", "x", "")),
    "pad": (A.TEXT, ("a", "xy", " ")),  # DuckDB rejects an empty padding
    "key": (A.TEXT, ("a", "b")),  # a JSON object key
    "pos": (A.INTEGER, (1, 2, 3, 4)),
    "len": (A.INTEGER, (0, 1, 2, 3, 4, 5)),
    "scale": (A.INTEGER, (0, 1, 2)),
    "days": (A.INTEGER, (-3, 0, 1, 7, 31, 40)),
    "buckets": (A.INTEGER, (1, 2, 3, 4)),
    "offset": (A.INTEGER, (1, 2, 3)),
    "fraction": (A.DOUBLE, (0.0, 0.25, 0.5, 0.75, 1.0)),
    # -- MySQL/MariaDB and SQLite ---------------------------------------------------------
    "path": (A.TEXT, ("$", "$.a", "$.b", "$.b[1]", "$[0]", "$[2]", "$.c")),  # a JSON path
    "json": (A.TEXT, ('{"a": 1}', "[1, 2]", "1", '"x"', "null", '{"b": [1, 2]}')),
    "regex": (A.TEXT, ("a", "^a", "b$", "[a-c]+", ".", "x|y", "(a)(b)?", "^$")),
    "shift": (A.INTEGER, (0, 1, 3, 8, 63)),
    "divisor": (A.INTEGER, (1, 2, 3, -2, 7)),
    "base": (A.INTEGER, (2, 8, 10, 16, 36)),
    "bits": (A.INTEGER, (0, 1, 5, 255)),
    "year": (A.INTEGER, (1999, 2000, 2024)),
    "dayofyear": (A.INTEGER, (1, 60, 365, 366)),
    "period": (A.INTEGER, (200001, 202312, 9901)),
    "seconds": (A.INTEGER, (0, 59, 3600, 86399, -1, 90000)),
    "mode": (A.INTEGER, (0, 1, 2, 3, 4, 5, 6, 7)),  # MySQL's WEEK() modes
    "sha": (A.INTEGER, (0, 224, 256, 384, 512)),
    "set": (A.TEXT, ("a,b,c", "b", "", "x,a")),
    "sep": (A.TEXT, (",", "", " - ")),
    "oneall": (A.TEXT, ("one", "all")),
    "probability": (A.DOUBLE, (0.0, 0.0625, 0.5, 1.0)),
    #: MySQL's DATE_FORMAT/TIME_FORMAT specifiers
    "date_format": (A.TEXT, ("%Y-%m-%d", "%W %M %Y", "%j", "%U %u %V %v", "%X-%x", "%a %b %e",
                             "%H:%i:%s", "%r", "%T", "%y %D %c", "%f %p %l")),
    #: strftime() specifiers (SQLite)
    "strftime": (A.TEXT, ("%Y-%m-%d", "%j", "%W", "%w", "%s", "%J", "%H:%M:%S", "%f", "%d/%m",
                          "%%")),
    #: SQLite's date and time modifiers
    "modifier": (A.TEXT, ("+1 day", "-1 month", "start of month", "start of year",
                          "start of day", "weekday 0", "weekday 3", "+12 hours", "-30 minutes",
                          "+1.5 seconds", "+1 year", "-400 years")),
    #: SQLite's printf() formats of one argument
    "printf": (A.TEXT, ("%d", "%5d|", "%-5d|", "%x", "%o", "%.2f", "%e", "%g", "%s", "%q",
                        "%Q", "%c", "%05.1f", "%,d", "%w", "%.3s", "%!.3g")),
    #: interval units; rendered as keywords (`keywords`)
    "unit": (A.TEXT, ("DAY", "MONTH", "YEAR", "HOUR", "MINUTE", "SECOND", "WEEK", "QUARTER",
                      "MICROSECOND")),
    "mysql_collation": (A.TEXT, ("utf8mb4_bin", "utf8mb4_general_ci", "utf8mb4_unicode_ci",
                                 "utf8mb4_unicode_520_ci", "utf8mb4_german2_ci",
                                 "utf8mb4_swedish_ci", "utf8mb4_turkish_ci", "utf8mb4_nopad_bin")),
    "like": (A.TEXT, ("a%", "%b%", "_", "%", "A_", "", "a\\%")),  # LIKE patterns
    "glob": (A.TEXT, ("a*", "*b", "?", "[a-c]*", "*", "[^a]*")),
    "escape": (A.TEXT, ("\\", "%", "x")),
    "array_path": (A.TEXT, ("$[0]", "$[1]", "$.b[0]", "$[5]")),  # JSON_ARRAY_INSERT's
    #: MySQL's CAST/CONVERT targets, by the family they give
    "mysql_integer": (A.TEXT, ("SIGNED", "UNSIGNED")),
    "mysql_char": (A.TEXT, ("CHAR", "NCHAR")),
    "mysql_decimal": (A.TEXT, ("DECIMAL",)),
    "mysql_date": (A.TEXT, ("DATE",)),
    "mysql_binary": (A.TEXT, ("utf8mb4_bin", "utf8mb4_nopad_bin")),
    "latin1_collation": (A.TEXT, ("latin1_swedish_ci", "latin1_bin", "latin1_general_ci",
                                  "latin1_german1_ci", "latin1_spanish_ci")),
    #: MariaDB's Unicode 14 collations (10.10 and later; MySQL has none of these names)
    "uca1400_collation": (A.TEXT, ("utf8mb4_uca1400_ai_ci", "utf8mb4_uca1400_as_cs",
                                   "utf8mb4_uca1400_swedish_ai_ci", "utf8mb4_uca1400_nopad_as_ci")),
    "sqlite_binary": (A.TEXT, ("BINARY",)),
    "sqlite_collation": (A.TEXT, ("BINARY", "NOCASE", "RTRIM")),
    # -- PostgreSQL's (fuzzer/functions/postgres.py) --
    "places": (A.INTEGER, (-1, 0, 2, 5)),
    "small": (A.INTEGER, (0, 1, 5, 10)),
    "month": (A.INTEGER, (1, 2, 12)),
    "day": (A.INTEGER, (1, 15, 28)),
    "fseconds": (A.DOUBLE, (0.0, 30.5, 59.25)),
    "low": (A.DOUBLE, (-5.0, 0.0)),
    "high": (A.DOUBLE, (5.0, 10.0)),
    "codepoint": (A.INTEGER, (65, 97, 233, 8364, 128578)),
    "likepat": (A.TEXT, ("a%", "%b", "_", "%", "A%")),
    "format": (A.TEXT, ("%s", "[%s]", "%L", "%I", "%5s|%-3s")),
    "field": (A.TEXT, ("year", "month", "day", "hour", "minute", "second", "dow", "isodow",
                       "doy", "epoch", "quarter", "week", "isoyear", "century", "decade",
                       "millennium", "microseconds", "milliseconds", "julian")),
    "truncunit": (A.TEXT, ("microseconds", "milliseconds", "second", "minute", "hour", "day",
                           "week", "month", "quarter", "year", "decade", "century",
                           "millennium")),
    "datefmt": (A.TEXT, ("YYYY-MM-DD", "DD Mon YYYY", "HH24:MI:SS", "YYYY-MM-DD HH24:MI:SS.US",
                         "IYYY-IW-ID", "Day, DDth FMMonth", "J", "Q WW", "YYYYDDD", "HH12 AM")),
    "numfmt": (A.TEXT, ("999D99", "FM999990.00", "9.99EEEE", "S9999", "0000", "FM99th")),
    "ifmt": (A.TEXT, ("HH24:MI:SS", "DD HH24:MI", "YYYY-MM", "MI:SS.MS", "FMDD \"days\"")),
    "numinput": (A.TEXT, ("999D99", "FM999990.00", "S9999", "0000")),
    "dateinput": (A.TEXT, ("YYYY-MM-DD", "DD Mon YYYY", "IYYY-IW-ID", "YYYYDDD", "J",
                           "YYYY-MM-DD HH24:MI:SS.US")),
    "ifield": (A.TEXT, ("year", "month", "day", "hour", "minute", "second", "epoch", "quarter",
                        "decade", "century", "millennium", "microseconds", "milliseconds")),
    "iunit": (A.TEXT, ("microseconds", "milliseconds", "second", "minute", "hour", "day",
                       "month", "quarter", "year", "decade", "century", "millennium")),
    "zone": (A.TEXT, ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                      "Europe/Berlin", "+05")),
    "stride": (A.INTERVAL, ("15 minutes", "1 hour", "1 day", "7 days")),
    "origin": (A.TIMESTAMP, ("2000-01-01 00:00:00", "1999-06-15 12:00:00")),
    "encoding": (A.TEXT, ("hex", "base64", "escape")),
    "jsonpath": (A.TEXT, ("$.a", "$.b[*]", "$.* ? (@ > 1)", "$.a.type()", "$.size()",
                          "lax $.b[0]", "$.a + 1", "strict $.b[1]")),
    "jsonpred": (A.TEXT, ("$.a == 1", "exists($.b)", "$.a > 0", "$.b[*] == 2",
                          '$.a starts with "x"')),
    "keys": (A.array(A.TEXT), (("a",), ("a", "b"), ("c",))),
    "keypath": (A.array(A.TEXT), (("a",), ("b", "0"), ("b", "1"), ("a", "x"))),
    "jsonvalue": (A.JSON, ("1", '"x"', "null", "[1]", '{"c": true}')),
    "document": (A.JSON, ('{"a": 1}', "{}", "[1]", '{"b": null}', '{"b": [1, 2]}')),
    "tsquery": (A.TEXT, ("a", "a & b", "foo | bar", "!x", "ab:*")),
    "bit": (A.INTEGER, (0, 1, 7)),
    "few": (A.INTEGER, (0, 1)),
    "bounds": (A.TEXT, ("[)", "[]", "(]", "()")),
    "escapes": (A.TEXT, ("\\00e9t\\00e9", "d\\0061t\\+000061", "abc", "\\D83D\\DE00")),
    "byte": (A.INTEGER, (0, 1, 255)),
    "ints": (A.array(A.INTEGER), ((2,), (3,), (0,))),
    "pairs": (A.array(A.TEXT), (("a", "1"), ("b", "x", "a", "y"), ())),
    "form": (A.TEXT, ("NFC", "NFD", "NFKC", "NFKD")),
    "charset": (A.TEXT, ("UTF8", "LATIN1")),
    # -- DuckDB (where MySQL's and SQLite's kinds above do not fit) ------------------------
    "bit_shift": (A.INTEGER, (0, 1, 3, 7)),  # shifts that stay inside the type mostly
    "count": (A.INTEGER, (0, 1, 3)),  # repetitions
    "escape_char": (A.TEXT, ("!", "#")),
    "fmt": (A.TEXT, ("{}", "{:>5}", "x{}y")),  # fmt-style (FORMAT)
    "printf_int": (A.TEXT, ("%d", "%5d", "%x", "%-3d|")),  # of one integer
    "time_format": (A.TEXT, ("%Y-%m-%d", "%Y", "%m/%d/%y", "%j", "%a %b", "%W")),  # C strftime
    "strptime": (A.TEXT, ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")),  # formats that parse back
    "bucket": (A.INTERVAL, ("1 day", "7 days", "1 month", "1 year")),  # positive widths
    "part": (A.TEXT, ("year", "month", "day", "quarter", "week", "dow", "doy", "decade")),
    "time_part": (A.TEXT, ("hour", "minute", "second", "day", "month")),
}


@dataclass(frozen=True)
class Signature:
    """One callable shape: `name` is what the tree's node carries, `template` its spelling."""

    name: str
    args: tuple[str, ...]
    returns: str
    kind: Kind = "function"
    template: Template | None = None
    #: the result depends only on the arguments (and, for aggregates, the multiset of rows)
    deterministic: bool = True
    #: SQLSTATE classes it may raise on arguments the generator makes ("22": data exception)
    errors: tuple[str, ...] = ()
    #: the same name means the same in every dialect for the values the generator makes
    portable: bool = False
    #: may stand in an index key or a generated column (DuckDB binds its list aggregates
    #: nowhere but in queries)
    storable: bool = True

    @property
    def families(self) -> tuple[str, ...]:
        """The families of the expression arguments (literal arguments are always typable)."""
        return tuple(a.split(":")[-1] for a in self.args if not a.startswith("lit:"))


def _parse(spec: str) -> tuple[tuple[str, ...], str]:
    args, _, returns = spec.partition("->")
    names = tuple(a.strip() for a in args.split(",") if a.strip())
    for a in names:
        kind = a.split(":")[0] if ":" in a else None
        if kind not in (None, "lit", "abs") or (kind == "lit" and a[4:] not in LITERALS):
            raise ValueError(f"unknown argument {a!r} in {spec!r}")
    return names, returns.strip()


def _declare(kind: Kind, name: str, spec: str, template: Template | None,
             families: Sequence[str] | None, **flags: object) -> list[Signature]:
    args, returns = _parse(spec)
    sig = Signature(name, args, returns, kind, template, **flags)  # type: ignore[arg-type]
    if not {"any", "any[]"} & {*args, returns}:
        return [sig]
    return [
        replace(sig, args=tuple(_instance(a, f) for a in args), returns=_instance(returns, f))
        for f in (families or EQUATABLE)
    ]


def _instance(spec: str, fam: str) -> str:
    """`any` as the family, `any[]` as an array of it."""
    return {"any": fam, "any[]": fam + "[]"}.get(spec, spec)


def fn(name: str, spec: str, template: Template | None = None, *,
       families: Sequence[str] | None = None, **flags: object) -> list[Signature]:
    """A scalar function; spelled `NAME(args)` unless a template says otherwise."""
    return _declare("function", name, spec, template, families, **flags)


def op(name: str, spec: str, template: Template, *,
       families: Sequence[str] | None = None, **flags: object) -> list[Signature]:
    """An operator; its template parenthesises it, as the renderer does every expression."""
    return _declare("operator", name, spec, template, families, **flags)


def agg(name: str, spec: str, template: Template | None = None, *,
        families: Sequence[str] | None = None, **flags: object) -> list[Signature]:
    """An aggregate beyond COUNT/SUM/AVG/MIN/MAX, which the oracles reason about themselves."""
    return _declare("aggregate", name, spec, template, families, **flags)


def win(name: str, spec: str, template: Template | None = None, *,
        families: Sequence[str] | None = None, **flags: object) -> list[Signature]:
    """A window-only function (an aggregate used as a window function is declared by `agg`)."""
    return _declare("window", name, spec, template, families, **flags)


class Library:
    """A dialect's signatures, with the spelling of each name."""

    def __init__(self, *groups: Iterable[Signature]) -> None:
        self.signatures: tuple[Signature, ...] = tuple(s for g in groups for s in g)
        self.templates: dict[str, Template] = {}
        for s in self.signatures:
            spelled = s.template if s.template is not None else _call(s.name)
            if self.templates.setdefault(s.name, spelled) != spelled:
                raise ValueError(f"{s.name} is spelled two ways")

    def names(self, kind: Kind | None = None) -> frozenset[str]:
        return frozenset(s.name for s in self.signatures if kind is None or s.kind == kind)

    def select(self, families: Sequence[str], *, portable: bool = False,
               deterministic: bool = False) -> Usable:
        """The signatures a generator may call, in declared order: those whose families it
        has, narrowed by its options as capabilities are."""
        usable = Usable()
        for s in self.signatures:
            if (portable and not s.portable) or (deterministic and not s.deterministic):
                continue
            if s.returns in families and all(f in families for f in s.families):
                group = usable.windows if s.kind == "window" else (
                    usable.aggregates if s.kind == "aggregate" else usable.scalars)
                group.setdefault(s.returns, []).append(s)
        return usable


@dataclass
class Usable:
    """Signatures by return family: scalar functions and operators, aggregates, windows."""

    scalars: dict[str, list[Signature]] = field(default_factory=dict)
    aggregates: dict[str, list[Signature]] = field(default_factory=dict)
    windows: dict[str, list[Signature]] = field(default_factory=dict)


def json_path(template: str) -> Template:
    """A spelling that takes a JSON key literal as `$.key`: the tree says which key, not how
    the dialect's path language writes it. `{0}` is the document, `{1}` the path."""

    def spell(d: Dialect, args: list[str], node: A.Func) -> str:
        key = node.args[1]
        assert isinstance(key, A.Literal)
        return template.format(args[0], d.string("$." + key.value))

    return spell


def keywords(template: str, *positions: int) -> Template:
    """A spelling whose literal arguments at `positions` are keywords, written bare: interval
    units (`TIMESTAMPDIFF(DAY, a, b)`), collations, type names."""

    def spell(d: Dialect, args: list[str], node: A.Func) -> str:
        words = list(args)
        for i in positions:
            word = node.args[i]
            assert isinstance(word, A.Literal) and str(word.value).replace("_", "").isalnum()
            words[i] = str(word.value)
        return template.format(*words)

    return spell


def respell(group: Iterable[Signature], templates: dict[str, Template]) -> list[Signature]:
    """A shared group of signatures with some names spelled the dialect's way."""
    return [replace(s, template=templates.get(s.name, s.template)) for s in group]


def _call(name: str) -> str:
    return name + "({*})"
