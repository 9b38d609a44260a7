"""SQLite: dynamic typing, no DATE literals, compound SELECTs without parentheses."""

from __future__ import annotations

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import STANDARD_TYPES, Capabilities
from fuzzer.dialects.catalog import UNTYPED
from fuzzer.functions import sqlite as sqlite_library


class SQLite(Dialect):
    name = "sqlite"
    catalog_query = """SELECT m.name, p.name, p.type, m.type = 'view' FROM sqlite_schema AS m
        JOIN pragma_table_info(m.name) AS p WHERE m.type IN ('table', 'view')
        AND m.name NOT LIKE 'sqlite%' ORDER BY m.name, p.cid"""
    parenthesized_set_operands = False
    is_unknown = False
    capabilities = Capabilities(
        families=("int", "numeric", "float", "text", "bool", "date", "time", "timestamp", "blob",
                  "json"),
        column_types={
            **STANDARD_TYPES,
            "json": (A.JSON,),  # text that json1 parses; JSON is a NUMERIC-affinity name
            "int": (A.INTEGER, A.SMALLINT, A.BIGINT),
            "numeric": (A.numeric(10, 2),),
        },
        aggregate_filter=True,
        set_ops=(("UNION", False), ("UNION", True), ("INTERSECT", False), ("EXCEPT", False)),
        quantified_subquery=False,
        like_ops=("LIKE", "GLOB"),
        frame_units=("ROWS", "RANGE", "GROUPS"),
        partial_index=True,
        expression_index=True,
        collations=("BINARY", "NOCASE", "RTRIM"),
        maintenance={"ANALYZE": True, "VACUUM": False, "REINDEX": True},
        string_agg_order=False,  # group_concat(... ORDER BY) arrived in 3.44
        values_order_by=False,
        row_in_list=False,  # a row value's IN takes a subquery only
        derived_columns=False,
        index_hints=("NOT INDEXED",),
    )
    library = sqlite_library.LIBRARY

    def parse_type(self, name: str) -> A.SQLType | None:
        if not name:  # a view's column may have no declared type: its values say what it holds
            return UNTYPED
        return super().parse_type(name)

    def type_name(self, t: A.SQLType) -> str:
        return "DOUBLE" if t.kind == "double" else super().type_name(t)

    def typed_string(self, quoted: str, t: A.SQLType) -> str:
        return quoted  # dates and times are text to SQLite

    def string_agg(self, node: A.Aggregate) -> str:
        value, sep = (self.render(a) for a in node.args)
        if node.distinct:  # group_concat(DISTINCT x) takes no separator
            return f"GROUP_CONCAT(DISTINCT {value})"
        return f"GROUP_CONCAT({value}, {sep})"
