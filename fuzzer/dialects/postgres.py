"""PostgreSQL: strict typing, the richest feature set of the four."""

from __future__ import annotations

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import FAMILIES, STANDARD_TYPES, Capabilities
from fuzzer.functions import postgres as postgres_library


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
        collations=('"C"',),
        partial_index=True,
        expression_index=True,
        maintenance={"ANALYZE": True, "VACUUM": True},
        grouping_sets=("ROLLUP", "CUBE", "GROUPING SETS"),
        grouping_function=True,
        group_by_distinct=True,
        row_keyword=True,
        fetch=("ONLY", "WITH TIES"),
        table_query=True,
    )
    library = postgres_library.LIBRARY

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
