"""What a query is made of: the gates every oracle passes a query through.

A query whose answer is not a function of the data (a volatile function, LIMIT without a total
order, an order-sensitive aggregate) can only produce false alarms: `is_deterministic` keeps it
away from the oracles. `aggregates_in` and `windows_in` tell which TLP variants apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from operator import attrgetter
from typing import Any

from fuzzer import ast
from fuzzer.schema import Schema

#: Functions whose result is not a function of their arguments and the data.
VOLATILE_FUNCTIONS = frozenset(
    [
        "random",
        "rand",
        "randomblob",
        "uuid",
        "gen_random_uuid",
        "random_uuid",
        "uuid_short",
        "setseed",
        "now",
        "sysdate",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtime",
        "localtimestamp",
        "clock_timestamp",
        "statement_timestamp",
        "transaction_timestamp",
        "timeofday",
        "utc_timestamp",
        "utc_date",
        "utc_time",
        "curdate",
        "curtime",
        "unix_timestamp",
        "nextval",
        "currval",
        "lastval",
        "last_insert_id",
        "last_insert_rowid",
        "changes",
        "total_changes",
        "connection_id",
        "pg_backend_pid",
        "row_count",
        "found_rows",
        "txid_current",
        "version",
        "sqlite_version",
        "database",
        "current_user",
        "session_user",
        "user",
        "current_schema",
        "current_database",
        "sleep",
        "pg_sleep",
        "benchmark",
    ]
)

#: Aggregates whose result depends on the order rows arrive in, unless they are given one.
ORDER_SENSITIVE_AGGREGATES = frozenset(
    {
        "string_agg",
        "group_concat",
        "array_agg",
        "list",
        "json_agg",
        "jsonb_agg",
        "json_group_array",
        "json_arrayagg",
        "json_group_object",
        "json_objectagg",
        "jsonb_object_agg",
        "json_object_agg",
        "any_value",
        "arbitrary",
        "first",
        "last",
    }
)

#: Window functions whose result is the same for rows that tie in the window's ORDER BY.
PEER_STABLE_WINDOW_FUNCTIONS = frozenset(
    {"sum", "count", "min", "max", "avg", "rank", "dense_rank", "percent_rank", "cume_dist"}
)


_CHILDREN: dict[type, tuple[str, ...] | None] = {}


def field_names(node: Any) -> tuple[str, ...] | None:
    """The field names of a tree node (cached per class), or None for a leaf value."""
    cls = type(node)
    if cls not in _CHILDREN:  # leaves too: strings and numbers are most of a tree's values
        _CHILDREN[cls] = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None
    return _CHILDREN[cls]


Reader = Callable[[Any], Iterable[Any]]
#: per class, what `walk` pushes for a value of it: a node's fields, last first, read by one
#: call; a tuple's or a list's items (`_sequence`); None for a leaf value
_REVERSED: dict[type, Reader | None] = {}


def _sequence(items: Any) -> Iterator[Any]:
    """A tuple's or a list's items, last first: walked through, not yielded."""
    return reversed(items)


def _fields_of(cls: type) -> Reader | None:
    found: Reader | None
    if issubclass(cls, tuple | list):
        found = _sequence
    elif not is_dataclass(cls):
        found = None
    else:
        names = tuple(reversed([f.name for f in fields(cls)]))
        if len(names) > 1:
            found = attrgetter(*names)
        elif names:
            get = attrgetter(*names)
            found = lambda node: (get(node),)  # noqa: E731
        else:
            found = lambda node: ()  # noqa: E731
    _REVERSED[cls] = found
    return found


def walk(node: Any) -> Iterator[Any]:
    """Every node of a tree, parents before children.

    The oracles' gates walk every query they draw, most of it leaf values: the fields of a
    class are read by one call, worked out once per class."""
    stack = [node]
    pop, push = stack.pop, stack.extend
    cached = _REVERSED
    while stack:
        current = pop()
        cls = type(current)
        get = cached[cls] if cls in cached else _fields_of(cls)
        if get is None:
            continue
        if get is _sequence:
            push(get(current))
            continue
        yield current
        push(get(current))


def aggregates_in(node: Any) -> bool:
    """Aggregates at this query level (not inside a subquery, which is a query of its own)."""
    return any(isinstance(n, ast.Aggregate) for n in _same_level(node))


def windows_in(node: Any) -> bool:
    return any(isinstance(n, ast.Window) for n in _same_level(node))


def _same_level(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple | list):
            stack.extend(current)
            continue
        names = field_names(current)
        if names is None or isinstance(current, ast.Query):
            continue
        yield current
        if isinstance(current, ast.Window):
            continue  # the aggregate inside a window is the window's, not the query's
        stack.extend(getattr(current, name) for name in names)


def is_deterministic(node: Any) -> bool:
    return not any(_nondeterministic(n) for n in walk(node))


def _nondeterministic(n: Any) -> bool:
    """Is this node (not its children) why a query may have more than one right answer?"""
    if isinstance(n, ast.Func):
        return n.name.lower() in VOLATILE_FUNCTIONS
    if isinstance(n, ast.Aggregate):
        return n.name.lower() in ORDER_SENSITIVE_AGGREGATES and not n.order_by
    limited = isinstance(n, ast.Select | ast.SetOp) and (
        n.limit is not None or n.offset is not None
    )
    # under a total order it keeps the same rows; WITH TIES returns all rows tying with the
    # last: one multiset
    if limited and not total_order(n) and (n.fetch != "WITH TIES" or n.offset is not None):
        return True
    if isinstance(n, ast.Join):
        return n.kind in ("ASOF", "POSITIONAL")  # the nearest match among ties, row order
    if isinstance(n, ast.Select):
        return bool(n.distinct_on)
    if isinstance(n, ast.Window):
        if n.function.name.lower() not in PEER_STABLE_WINDOW_FUNCTIONS:
            return True
        return n.frame is not None and n.frame.unit == "ROWS"
    return False


#: Aggregates whose value cannot depend on the order rows arrive in, whatever their type.
ORDER_FREE_AGGREGATES = frozenset({"count", "min", "max"})


def _plan_dependent(n: Any) -> bool:
    """Is this node why a query's rows may honestly depend on its plan?"""
    if isinstance(n, ast.Aggregate) and n.name.lower() not in ORDER_FREE_AGGREGATES:
        return True
    return isinstance(n, ast.Window) or _nondeterministic(n)


def plan_independent(query: Any) -> bool:
    """Can the query's rows not honestly depend on its plan? Deterministic, and no aggregate
    or window function whose value depends on the order rows arrive in (a float SUM adds in
    plan order, a string_agg concatenates in it)."""
    return not any(_plan_dependent(n) for n in walk(query))


def plan_free(query: Any, schema: Schema) -> bool:
    """`plan_independent` and not `reads_a_view`, in one pass over the query: the gate of the
    oracles that run one query in two forms or under two plans."""
    unsafe = unsafe_views(schema)
    return not any(
        _plan_dependent(n) or (isinstance(n, ast.TableRef) and n.name in unsafe)
        for n in walk(query)
    )


def reads_a_view(query: Any, schema: Schema) -> bool:
    """Does the query read a view whose rows a plan may change (`unsafe_views`)?"""
    unsafe = unsafe_views(schema)
    return any(isinstance(n, ast.TableRef) and n.name in unsafe for n in walk(query))


@dataclass
class _Views:
    """The views of the schema asked about last, and which of them a plan may change."""

    views: list[tuple[str, Any]] = field(default_factory=list)
    unsafe: frozenset[str] = frozenset()


_LAST = _Views()


def unsafe_views(schema: Schema) -> frozenset[str]:
    """The views whose rows a plan may change: a view's own query may be nondeterministic (an
    unordered group_concat, a LIMIT) or read such a view; one the schema model does not keep
    (read from a catalog) may be anything. Worked out once while the schema's views stay the
    same: every query a state's oracles draw asks."""
    views = [(t.name, t.query) for t in schema.tables if t.view]
    last = _LAST.views
    if len(views) != len(last) or any(
        a != b or q is not r for (a, q), (b, r) in zip(views, last, strict=True)
    ):
        unsafe = frozenset(v for v, _ in views if _unsafe(ast.TableRef(v), schema, frozenset()))
        _LAST.views, _LAST.unsafe = views, unsafe
    return _LAST.unsafe


def _unsafe(query: Any, schema: Schema, inside: frozenset[str]) -> bool:
    """(Inside a view's query its own name is a CTE's: `inside` holds the views being looked
    into.)"""
    views = {t.name: t.query for t in schema.tables if t.view}
    for n in walk(query):
        if isinstance(n, ast.TableRef) and n.name in views and n.name not in inside:
            own = views[n.name]
            if own is None or not plan_independent(own):
                return True
            if _unsafe(own, schema, inside | {n.name}):
                return True
    return False


def total_order(query: Any) -> bool:
    """Does the query's ORDER BY fix the place of every row? Ties can only be equal rows.

    (Equal, not identical, where a collation makes 'a' = 'a ': the generator's deterministic
    mode limits only columns of the dialect's `tie_free` families.)
    """
    if not isinstance(query, ast.Select | ast.SetOp) or not query.order_by:
        return False
    first = _first_select(query)
    if any(isinstance(item.expr, ast.Star) for item in first.items):
        return False  # `t.*` is several columns: ORDER BY 1 orders by the first of them
    if isinstance(query, ast.SetOp):
        width = len(first.items)
        positions = {i.expr.value for i in query.order_by if isinstance(i.expr, ast.Literal)}
        return positions >= set(range(1, width + 1))
    ordered = {item.expr for item in query.order_by}
    positions = {
        item.expr.value
        for item in query.order_by
        if isinstance(item.expr, ast.Literal) and isinstance(item.expr.value, int)
    }
    return all(
        item.expr in ordered
        or (item.alias and ast.ColumnRef(None, item.alias) in ordered)
        or n in positions
        for n, item in enumerate(query.items, start=1)
    )


def _first_select(query: ast.Query) -> ast.Select:
    while not isinstance(query, ast.Select):
        query = query.left if isinstance(query, ast.SetOp) else query.body  # type: ignore[attr-defined]
    return query


def transform(node: Any, change: Callable[[Any], Any]) -> Any:
    """A copy of a tree with `change` applied to every node, children first."""
    if isinstance(node, tuple | list):
        items = [transform(n, change) for n in node]
        if all(a is b for a, b in zip(items, node, strict=True)):
            return node
        return tuple(items) if isinstance(node, tuple) else items
    names = field_names(node)
    if names is None:
        return node
    updates = {}
    for name in names:
        value = getattr(node, name)
        new = transform(value, change)
        if new is not value:
            updates[name] = new
    return change(replace(node, **updates) if updates else node)


def order_items(node: Any) -> list[ast.OrderItem]:
    return [n for n in walk(node) if isinstance(n, ast.OrderItem)]


def explicit_nulls(node: Any) -> Any:
    """The tree with NULLS FIRST/LAST spelled out on every ORDER BY item.

    Where NULLs sort by default is each engine's own choice (SQLite and MySQL first, DuckDB
    and PostgreSQL last in ascending order): two engines compared row by row must be told.
    """

    def spell(n: Any) -> Any:
        if isinstance(n, ast.OrderItem) and n.nulls is None:
            return replace(n, nulls="LAST" if n.descending else "FIRST")
        return n

    return transform(node, spell)
