"""DuckDB: PostgreSQL's syntax with its own binder, types and function names."""

from __future__ import annotations

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import FAMILIES, STANDARD_SPELLINGS, STANDARD_TYPES, Capabilities
from fuzzer.functions import duckdb as duckdb_library


class DuckDB(Dialect):
    name = "duckdb"
    catalog_query = """SELECT c.table_name, c.column_name, c.data_type, t.table_type = 'VIEW'
        FROM information_schema.columns c JOIN information_schema.tables t
        ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema
        AND t.table_name = c.table_name
        WHERE c.table_catalog = current_database() AND c.table_schema = current_schema()
        ORDER BY c.table_name, c.ordinal_position"""
    #: collations combine with a dot: the combination exists where both of its parts do
    collation_query = """SELECT collname FROM pragma_collations() UNION ALL
        SELECT a.collname || '.' || b.collname FROM pragma_collations() AS a,
        pragma_collations() AS b WHERE a.collname = 'noaccent' AND b.collname = 'nocase'"""
    capabilities = Capabilities(
        spellings=(*STANDARD_SPELLINGS, "SOME", "RETURNING", "==", "ISNULL"),
        families=(*FAMILIES, "int[]", "text[]", "struct", "map"),
        column_types={
            **STANDARD_TYPES,
            "int": (A.SMALLINT, A.INTEGER, A.BIGINT, A.HUGEINT),
            "text": (A.TEXT, A.varchar(16)),  # DuckDB reads CHAR(n) as VARCHAR: no padding
            "json": (A.JSON,),
            "interval": (A.INTERVAL,),
            "uuid": (A.UUID,),
            "int[]": (A.array(A.INTEGER), A.array(A.BIGINT)),
            "text[]": (A.array(A.TEXT),),
            "struct": (A.STRUCT,),
            "map": (A.MAP,),
        },
        # ART indexes take none of these
        unkeyed_kinds=("json", "interval", "array", "struct", "map"),
        float_specials=True,
        lateral=True,
        distinct_on=True,
        aggregate_filter=True,
        like_ops=("LIKE", "ILIKE", "GLOB", "REGEXP"),
        frame_units=("ROWS", "RANGE", "GROUPS"),
        expression_index=True,
        maintenance={"ANALYZE": True, "VACUUM": True, "CHECKPOINT": False},
        joins=("INNER", "LEFT", "RIGHT", "FULL", "CROSS", "SEMI", "ANTI", "ASOF", "POSITIONAL"),
        grouping_sets=("ROLLUP", "CUBE", "GROUPING SETS"),
        grouping_function=True,
        by_all=True,
        row_keyword=True,
        row_keys=False,
        row_in_correlated=False,
        qualify=True,
        cte_materialized=True,
        union_by_name=True,
        star_modifiers=True,
        fetch=("ONLY",),
        table_query=True,
        # ICU's collations compare canonically equivalent strings equal, NFC too: the
        # oracles' spelling-free fold (fuzzer.collations.fold) is coarser than each of them
        collations=("nocase", "noaccent", "noaccent.nocase", "nfc", "en_us", "de", "sv", "tr"),
        tie_free=("int", "bool", "date", "time", "timestamp", "uuid"),  # NOCASE: 'a' = 'A'
        generated_columns=("VIRTUAL",),
        generated_index=False,
        foreign_keys=("",),  # no ON DELETE actions; a referenced row is neither updated nor deleted
        upserts=("DO NOTHING", "DO UPDATE", "OR IGNORE", "OR REPLACE"),
        one_key_upserts=("DO UPDATE", "OR REPLACE"),
        analyze_columns=True,
        numeric_division=False,
        implicit_comparisons={
            "int": ("numeric", "float", "bool"), "numeric": ("int", "float"),
            "float": ("int", "numeric"), "bool": ("int",), "date": ("timestamp",),
            "timestamp": ("date",),
        },
        string_literal_casts=("int", "numeric", "float", "bool", "date", "time", "timestamp",
                              "interval", "uuid"),
        implicit_arithmetic={"numeric": ("int",), "float": ("int", "numeric")},
    )
    library = duckdb_library.LIBRARY

    def type_name(self, t: A.SQLType) -> str:
        names = {"double": "DOUBLE", "text": "VARCHAR", "numeric": "DECIMAL",
                 "struct": "STRUCT(a INTEGER, b VARCHAR)", "map": "MAP(VARCHAR, INTEGER)"}
        if t.kind in names:
            base = names[t.kind]
            return f"{base}({', '.join(map(str, t.params))})" if t.params else base
        return super().type_name(t)

    def _Literal(self, node: A.Literal) -> str:
        """Lists, structs and maps as DuckDB writes them; typed by a cast where the members
        cannot say the type (an empty or all-NULL list, an empty map)."""
        v, t = node.value, node.type
        if v is None or t.kind not in ("array", "struct", "map"):
            return super()._Literal(node)
        if t.kind == "struct":  # (a, b)
            return (f"{{'a': {self.render(A.Literal(v[0], A.INTEGER))},"
                    f" 'b': {self.render(A.Literal(v[1], A.TEXT))}}}")
        if t.kind == "map":  # ((key, value), ...)
            text = "MAP {" + ", ".join(f"{self.string(k)}: {self.render(A.Literal(x, A.INTEGER))}"
                                       for k, x in v) + "}"
            return text if v else f"CAST({text} AS {self.cast_type(t)})"
        assert t.element is not None
        text = "[" + ", ".join(self.render(A.Literal(x, t.element)) for x in v) + "]"
        return text if any(x is not None for x in v) else f"CAST({text} AS {self.cast_type(t)})"

    def float_literal(self, v: float, t: A.SQLType) -> str:
        """In exponent form: DuckDB reads `10.0` as a DECIMAL, `10.0e0` as a DOUBLE."""
        text = super().float_literal(v, t)
        return text + "e0" if text[-1].isdigit() and "e" not in text else text

    def _Like(self, node: A.Like) -> str:
        if node.op != "REGEXP":
            return super()._Like(node)
        call = f"REGEXP_MATCHES({self.render(node.operand)}, {self.render(node.pattern)})"
        return f"(NOT {call})" if node.negated else call
