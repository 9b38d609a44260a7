"""What a query is made of, independent of its literals and names.

`features` names the SQL constructs of a query (node kinds, operators, functions, join kinds):
the basis of a finding's deduplication signature, which must survive other literals, other
table and column names and another statement order. `is_deterministic` is the gate every
oracle passes a query through: a query whose answer is not a function of the data can only
produce false alarms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from fuzzer import ast

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


def walk(node: Any) -> Iterator[Any]:
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple | list):
            stack.extend(reversed(current))
            continue
        if not is_dataclass(current):
            continue
        yield current
        for f in reversed(fields(current)):
            value = getattr(current, f.name)
            if is_dataclass(value) or isinstance(value, tuple | list):
                stack.append(value)


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
        if not is_dataclass(current) or isinstance(current, ast.Query):
            continue
        yield current
        if isinstance(current, ast.Window):
            continue  # the aggregate inside a window is the window's, not the query's
        for f in fields(current):
            stack.append(getattr(current, f.name))


def is_deterministic(node: Any) -> bool:
    for n in walk(node):
        if isinstance(n, ast.Func) and n.name.lower() in VOLATILE_FUNCTIONS:
            return False
        if (
            isinstance(n, ast.Aggregate)
            and n.name.lower() in ORDER_SENSITIVE_AGGREGATES
            and not n.order_by
        ):
            return False
        if isinstance(n, ast.Select | ast.SetOp) and (n.limit is not None or n.offset is not None):
            return False
        if isinstance(n, ast.Select) and n.distinct_on:
            return False
        if isinstance(n, ast.Window):
            if n.function.name.lower() not in PEER_STABLE_WINDOW_FUNCTIONS:
                return False
            if n.frame is not None and n.frame.unit == "ROWS":
                return False
    return True


def features(node: Any) -> frozenset[str]:
    """The literal-free, name-free constructs of a tree, for deduplication."""
    found: set[str] = set()
    for n in walk(node):
        kind = type(n).__name__
        match n:
            case (
                ast.Literal() | ast.ColumnRef() | ast.TableRef() | ast.SelectItem() | ast.SQLType()
            ):
                continue
            case ast.Binary(op=op) | ast.Unary(op=op):
                found.add(f"op:{op.upper()}")
            case ast.Func(name=name) | ast.Aggregate(name=name):
                found.add(f"{kind.lower()}:{name.lower()}")
                if isinstance(n, ast.Aggregate) and n.distinct:
                    found.add("aggregate:distinct")
                if isinstance(n, ast.Aggregate) and n.filter is not None:
                    found.add("aggregate:filter")
            case ast.Join(kind=join_kind, natural=natural, using=using):
                found.add(f"join:{join_kind.lower()}")
                if natural:
                    found.add("join:natural")
                if using:
                    found.add("join:using")
            case ast.Like(op=op):
                found.add(f"like:{op.lower()}")
            case ast.Cast(type=t):
                found.add(f"cast:{t.kind}")
            case ast.SetOp(op=op, all=all_):
                found.add(f"setop:{op.lower()}{':all' if all_ else ''}")
            case ast.Quantified(quantifier=q):
                found.add(f"quantified:{q.lower()}")
            case ast.Select():
                for clause in ("where", "group_by", "having", "order_by", "distinct"):
                    if getattr(n, clause):
                        found.add(f"select:{clause}")
            case _:
                found.add(kind.lower())
    return frozenset(found)


def total_order(query: Any) -> bool:
    """Does the query's ORDER BY fix the place of every row? Ties can only be equal rows."""
    if not isinstance(query, ast.Select) or not query.order_by:
        return False
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
