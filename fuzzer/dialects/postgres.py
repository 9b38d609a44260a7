"""PostgreSQL: strict typing, the richest feature set of the four."""

from __future__ import annotations

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import (
    ENUM_TYPE,
    FAMILIES,
    STANDARD_CASTS,
    STANDARD_SPELLINGS,
    STANDARD_TYPES,
    Capabilities,
)
from fuzzer.functions import postgres as postgres_library

#: families every index method but GIN and GiST takes as they are (BRIN: not bool, uuid)
BTREE_FAMILIES = ("int", "numeric", "float", "text", "date", "timestamp", "bool", "uuid")


class Postgres(Dialect):
    name = "postgres"
    typed_floats = True
    catalog_query = """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
        c.relkind = 'v' FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid
        JOIN pg_namespace n ON c.relnamespace = n.oid
        WHERE (n.nspname = current_schema() OR n.oid = pg_my_temp_schema())
        AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition AND a.attnum > 0
        AND NOT a.attisdropped ORDER BY c.relname, a.attnum"""
    collation_query = """SELECT collname FROM pg_collation
        WHERE collencoding IN (-1, pg_char_to_encoding(getdatabaseencoding()))"""
    capabilities = Capabilities(
        spellings=(*STANDARD_SPELLINGS, "SOME", "UNION DISTINCT", "RETURNING", "ISNULL",
                   "LIMIT ALL", "TEMPORARY VIEW"),
        families=(*FAMILIES, "timestamptz", "int[]", "text[]", "intrange", "daterange", "enum"),
        column_types={
            **STANDARD_TYPES,
            # full-width numerics: up to 1000 digits, and unconstrained
            "numeric": (*STANDARD_TYPES["numeric"], A.numeric(38, 10), A.numeric(1000, 20),
                        A.SQLType("numeric")),
            "json": (A.JSON,),
            "interval": (A.INTERVAL,),
            "uuid": (A.UUID,),
            "timestamptz": (A.TIMESTAMPTZ,),
            "int[]": (A.array(A.INTEGER),),
            "text[]": (A.array(A.TEXT),),
            "intrange": (A.range_of(A.INTEGER),),
            "daterange": (A.range_of(A.DATE),),
            "enum": (A.ENUM,),
        },
        # declared out of alphabetical order: enum order is not text order
        enum_labels=("sad", "ok", "happy", "ecstatic", "Ok"),
        cast_sources={
            **STANDARD_CASTS,
            "int": ("bool", "int", "numeric", "float"),
            "numeric": ("int", "float", "numeric"),
            "float": ("int", "numeric", "float"),
            "text": ("int", "text", "date", "numeric", "float", "bool", "timestamp",
                     "timestamptz", "time", "interval", "uuid", "json", "blob", "int[]",
                     "text[]", "enum"),
            "date": ("timestamp", "date", "timestamptz"),
            "timestamp": ("date", "timestamptz", "timestamp"),
            "timestamptz": ("date", "timestamp"),
            "time": ("timestamp", "interval"),
            "interval": ("time",),
            "text[]": ("int[]",),
            "daterange": ("daterange",),  # the text of a range is another story
        },
        unstable_casts=(
            ("date", "text"), ("timestamp", "text"), ("timestamptz", "text"), ("interval", "text"),
            ("int[]", "text"), ("text[]", "text"), ("enum", "text"), ("timestamptz", "date"),
            ("timestamptz", "timestamp"), ("date", "timestamptz"), ("timestamp", "timestamptz"),
        ),
        cast_shorthand=True,
        float_specials=True,
        lateral=True,
        distinct_on=True,
        aggregate_filter=True,
        like_ops=("LIKE", "ILIKE", "REGEXP", "SIMILAR TO"),
        frame_units=("ROWS", "RANGE", "GROUPS"),
        collations=(
            "C",
            "POSIX",
            "C.utf8",
            "ucs_basic",
            "default",
            "en-x-icu",
            "und-x-icu",
            "de-x-icu",
            "sv-x-icu",
            "tr-x-icu",
        ),
        partial_index=True,
        expression_index=True,
        maintenance={
            "ANALYZE": True, "VACUUM": True, "VACUUM ANALYZE": True, "REINDEX TABLE": True,
        },
        table_options=(
            "fillfactor=50",
            "fillfactor=100",
            "autovacuum_enabled=false",
            "toast_tuple_target=128",
            "parallel_workers=0",
            "parallel_workers=4",
        ),
        persistence=("TEMPORARY", "UNLOGGED"),  # a reset discards temporary tables
        generated_columns=("STORED",),
        foreign_keys=("CASCADE", "SET NULL", ""),
        partitioning=("RANGE", "LIST", "HASH"),
        partition_statements=True,
        index_methods={
            "btree": dict.fromkeys(BTREE_FAMILIES, ""),
            "hash": dict.fromkeys((*BTREE_FAMILIES, "json", "interval"), ""),
            "brin": dict.fromkeys((*BTREE_FAMILIES[:6], "uuid", "interval"), ""),
            "gin": {"json": "", "text": "TO_TSVECTOR"},
            "gist": {
                "int": "INT8RANGE",
                "numeric": "NUMRANGE",
                "date": "DATERANGE",
                "timestamp": "TSRANGE",
                "text": "TO_TSVECTOR",
            },
        },
        index_collate=True,
        upserts=("DO NOTHING", "DO UPDATE"),
        analyze_options=("SKIP_LOCKED", "SKIP_LOCKED TRUE", "VERBOSE FALSE"),
        analyze_columns=True,
        statistics=("ndistinct", "dependencies", "mcv"),
        set_statistics=True,
        stored_casts=False,
        grouping_sets=("ROLLUP", "CUBE", "GROUPING SETS"),
        grouping_function=True,
        group_by_distinct=True,
        row_keyword=True,
        cte_materialized=True,
        fetch=("ONLY", "WITH TIES"),
        table_query=True,
        full_text=("tsearch",),
        vector_extensions=("vector",),
    )  # fmt: skip
    library = postgres_library.LIBRARY

    def type_name(self, t: A.SQLType) -> str:
        names = {"blob": "BYTEA", "json": "JSONB", "enum": ENUM_TYPE}
        return names.get(t.kind) or super().type_name(t)

    def blob_literal(self, v: bytes) -> str:
        return f"CAST('\\x{v.hex()}' AS BYTEA)"

    def collation(self, name: str) -> str:
        return self.ident(name)

    def options_clause(self, options: tuple[str, ...]) -> str:
        return f"WITH ({', '.join(options)})"

    def _Analyze(self, node: A.Analyze) -> str:
        options = f" ({', '.join(node.options)})" if node.options else ""
        text = f"ANALYZE{options}" + (f" {self.ident(node.table)}" if node.table else "")
        return text + (f" ({self.idents(node.columns)})" if node.columns else "")

    def _Like(self, node: A.Like) -> str:
        if node.op != "REGEXP":
            return super()._Like(node)
        op = "!~" if node.negated else "~"
        return f"({self.render(node.operand)} {op} {self.render(node.pattern)})"
