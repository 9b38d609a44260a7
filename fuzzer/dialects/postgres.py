"""PostgreSQL: strict typing, the richest feature set of the four."""

from __future__ import annotations

from typing import ClassVar

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect, Template
from fuzzer.dialects.capabilities import FAMILIES, STANDARD_TYPES, Capabilities


def _json_text(d: Dialect, args: list[str], node: A.Func) -> str:
    key = node.args[1]
    assert isinstance(key, A.Literal)
    return f"({args[0]} ->> {d.string(key.value)})"


class Postgres(Dialect):
    name = "postgres"
    catalog_query = """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
        c.relkind = 'v' FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid
        JOIN pg_namespace n ON c.relnamespace = n.oid
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v') AND a.attnum > 0
        AND NOT a.attisdropped ORDER BY c.relname, a.attnum"""
    capabilities = Capabilities(
        families=FAMILIES,
        column_types={
            **STANDARD_TYPES,
            "json": (A.JSON,),
            "interval": (A.INTERVAL,),
            "uuid": (A.UUID,),
        },
        float_specials=True,
        lateral=True,
        distinct_on=True,
        aggregate_filter=True,
        like_ops=("LIKE", "ILIKE", "REGEXP"),
        frame_units=("ROWS", "RANGE", "GROUPS"),
        bool_aggregates=("BOOL_AND", "BOOL_OR"),
        collations=('"C"',),
        partial_index=True,
        expression_index=True,
        maintenance={"ANALYZE": True, "VACUUM": True},
    )
    functions: ClassVar[dict[str, Template]] = {
        **Dialect.functions,
        "INSTR": "STRPOS({0}, {1})",
        "REVERSE": "REVERSE({0})",
        "LEFT": "LEFT({0}, {1})",
        "RIGHT": "RIGHT({0}, {1})",
        "LPAD": "LPAD({0}, {1}, {2})",
        "DATE_ADD": "({0} + {1})",
        "JSON_TEXT": _json_text,
    }
    aggregates: ClassVar[dict[str, str]] = {
        **Dialect.aggregates, "BOOL_AND": "BOOL_AND", "BOOL_OR": "BOOL_OR",
    }  # fmt: skip

    def type_name(self, t: A.SQLType) -> str:
        names = {"blob": "BYTEA", "json": "JSONB"}
        return names.get(t.kind) or super().type_name(t)

    def blob_literal(self, v: bytes) -> str:
        return f"CAST('\\x{v.hex()}' AS BYTEA)"

    def _Like(self, node: A.Like) -> str:
        if node.op != "REGEXP":
            return super()._Like(node)
        op = "!~" if node.negated else "~"
        return f"({self.render(node.operand)} {op} {self.render(node.pattern)})"
