"""SQLite: dynamic typing, no DATE literals, compound SELECTs without parentheses."""

from __future__ import annotations

from dataclasses import replace

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import STANDARD_SPELLINGS, STANDARD_TYPES, Capabilities
from fuzzer.dialects.catalog import UNTYPED
from fuzzer.functions import sqlite as sqlite_library

#: What a STRICT table calls each type: INT, INTEGER, REAL, TEXT, BLOB, or ANY, which keeps
#: every value as it was given (a NUMERIC column would turn 1.0 into 1, ANY keeps it).
ANY = A.SQLType("any")
STRICT_TYPES = {
    "smallint": A.INTEGER, "integer": A.INTEGER, "bigint": A.INTEGER, "real": A.REAL,
    "double": A.REAL, "text": A.TEXT, "varchar": A.TEXT, "char": A.TEXT, "blob": A.BLOB,
}  # fmt: skip


class SQLite(Dialect):
    name = "sqlite"
    catalog_query = """SELECT m.name, p.name, p.type, m.type = 'view' FROM (SELECT name, type
        FROM sqlite_schema UNION ALL SELECT name, type FROM sqlite_temp_schema) AS m
        JOIN pragma_table_xinfo(m.name) AS p WHERE m.type IN ('table', 'view')
        AND m.name NOT LIKE 'sqlite%' AND p.hidden <> 1 ORDER BY m.name, p.cid"""
    collation_query = "SELECT name FROM pragma_collation_list"
    parenthesized_set_operands = False
    is_unknown = False
    capabilities = Capabilities(
        spellings=(*STANDARD_SPELLINGS, "LIMIT COMMA", "RETURNING", "==", "ISNULL",
                   "TEMPORARY VIEW"),
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
        tie_free=("int", "bool", "date", "time", "timestamp"),  # NOCASE: 'a' = 'A'
        maintenance={"ANALYZE": True, "VACUUM": False, "REINDEX": True, "PRAGMA optimize": False},
        string_agg_order=False,  # group_concat(... ORDER BY) arrived in 3.44
        values_order_by=False,
        row_in_list=False,  # a row value's IN takes a subquery only
        derived_columns=False,
        index_hints=("NOT INDEXED", "INDEXED BY"),
        cte_materialized=True,
        table_options=("WITHOUT ROWID", "STRICT"),
        keyed_table_options=("WITHOUT ROWID",),
        persistence=("TEMPORARY",),  # a reset opens a new connection: temp tables go with it
        generated_columns=("VIRTUAL", "STORED"),
        foreign_keys=("CASCADE", "SET NULL", ""),
        foreign_key_setting=("foreign_keys", "ON"),
        index_collate=True,
        upserts=("DO NOTHING", "DO UPDATE", "OR IGNORE", "OR REPLACE", "REPLACE"),
        stat_rows=True,
        settings={"analysis_limit": ("0", "100", "1")},
        full_text=("fts5",),
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

    def options_clause(self, options: tuple[str, ...]) -> str:
        return ", ".join(options)

    def _CreateTable(self, node: A.CreateTable) -> str:
        if "STRICT" in node.options:  # a STRICT table declares only its five type names
            columns = tuple(
                replace(c, type=STRICT_TYPES.get(c.type.kind, ANY)) for c in node.columns
            )
            node = replace(node, columns=columns)
        return super()._CreateTable(node)

    def _Setting(self, node: A.Setting) -> str:
        return f"PRAGMA {node.name} = {node.value}"

    def string_agg(self, node: A.Aggregate) -> str:
        value, sep = (self.render(a) for a in node.args)
        if node.distinct:  # group_concat(DISTINCT x) takes no separator
            return f"GROUP_CONCAT(DISTINCT {value})"
        return f"GROUP_CONCAT({value}, {sep})"
