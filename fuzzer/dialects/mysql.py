"""MySQL, MariaDB and TiDB: backquoted names, backslash escapes, CAST's own type names."""

from __future__ import annotations

import math

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect
from fuzzer.dialects.capabilities import STANDARD_SPELLINGS, STANDARD_TYPES, Capabilities
from fuzzer.functions import mysql as mysql_library

#: CAST takes its own type names: SIGNED, CHAR, BINARY, ...
CAST_TYPES = {
    "smallint": "SIGNED", "integer": "SIGNED", "bigint": "SIGNED", "boolean": "SIGNED",
    "real": "DOUBLE", "double": "DOUBLE", "text": "CHAR", "varchar": "CHAR", "char": "CHAR",
    "json": "CHAR", "blob": "BINARY", "timestamp": "DATETIME", "usmallint": "UNSIGNED",
    "uinteger": "UNSIGNED", "ubigint": "UNSIGNED", "bit": "UNSIGNED", "year": "SIGNED",
    "string_enum": "CHAR", "set": "CHAR",
}  # fmt: skip
#: MySQL's own column types, by family: unsigned integers, YEAR, BIT(n), DECIMAL up to
#: (65, 30), ENUM and SET, DATETIME and TIME with fractional seconds
TYPES = {
    **STANDARD_TYPES,
    "int": (*STANDARD_TYPES["int"], A.USMALLINT, A.UINTEGER, A.UBIGINT, A.YEAR),
    "bit": (A.bit(8), A.bit(1)),
    "numeric": (*STANDARD_TYPES["numeric"], A.numeric(5, 0), A.numeric(65, 30)),
    "text": (*STANDARD_TYPES["text"], A.STRING_ENUM, A.SET),
    "time": (A.TIME, A.time(6)),
    "timestamp": (A.TIMESTAMP, A.timestamp(3), A.timestamp(6)),
    "json": (A.JSON,),
}


#: families an index with USING BTREE or HASH takes
INDEXED = ("int", "numeric", "float", "text", "date", "time", "timestamp", "bool")


class MySQL(Dialect):
    name = "mysql"
    catalog_query = """SELECT c.table_name, c.column_name, c.column_type, t.table_type = 'VIEW'
        FROM information_schema.columns c JOIN information_schema.tables t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = DATABASE() ORDER BY c.table_name, c.ordinal_position"""
    quote = "`"
    index_method_after_columns = True
    collation_query = "SELECT COLLATION_NAME FROM information_schema.COLLATIONS"
    capabilities = Capabilities(
        spellings=(*STANDARD_SPELLINGS, "SOME", "UNION DISTINCT", "LIMIT COMMA", "FROM DUAL",
                   "DISTINCTROW", "&&", "||", "RETURNING"),
        families=("int", "numeric", "float", "text", "bool", "date", "time", "timestamp",
                  "blob", "json", "bit"),
        column_types=TYPES,
        unkeyed_kinds=("text", "blob", "json"),  # indexes on these need a prefix length
        joins=("INNER", "LEFT", "RIGHT", "CROSS", "STRAIGHT"),
        nulls_order=False,
        unique_key_names=True,
        like_ops=("LIKE", "REGEXP"),
        # One collation until the generator types MariaDB's collation derivations: a column
        # under another meets utf8mb4_bin literals and derived columns, CONVERT's
        # utf8mb4_general_ci and, under latin1, utf8mb4 function results ("illegal mix of
        # collations", about 2% of queries with the server's collations)
        collations=("utf8mb4_bin",),
        collation_codecs={"latin1_": "latin-1"},
        limit_in_subquery=False,
        correlated_nested_set_ops=False,
        tie_free=("int", "bool", "date", "time", "timestamp"),  # PAD SPACE, _ci: 'a' = 'A '
        maintenance={"ANALYZE TABLE": True, "OPTIMIZE TABLE": True, "CHECK TABLE": True},
        grouping_sets=("ROLLUP",),
        grouping_mixed=False,  # GROUP BY a, b WITH ROLLUP
        grouping_order_by=False,
        grouping_in_views=False,
        rollup_repeated_keys=False,
        row_keyword=True,
        row_between=False,  # "Operand should contain 1 column(s)"
        derived_columns=False,
        values_first_row_names=True,  # "Duplicate column name '1'"
        exists_unlisted_arm=False,
        frame_exclude=(),  # "Frame exclusion is not supported yet"
        fetch=("ONLY", "WITH TIES"),
        index_hints=("USE", "FORCE", "IGNORE"),
        select_modifiers=("HIGH_PRIORITY", "STRAIGHT_JOIN", "SQL_SMALL_RESULT",
                          "SQL_BIG_RESULT", "SQL_BUFFER_RESULT", "SQL_NO_CACHE"),  # this order
        table_options=("ROW_FORMAT=DYNAMIC", "STATS_PERSISTENT=0", "STATS_PERSISTENT=1",
                       "STATS_SAMPLE_PAGES=4", "STATS_AUTO_RECALC=0", "CHECKSUM=1",
                       "PACK_KEYS=1"),
        storage_engines={
            "InnoDB": (), "MyISAM": ("foreign_keys", "transactions"),
            "Aria": ("foreign_keys", "generated_index", "transactions"),
            "MEMORY": ("text", "blob", "json", "generated", "foreign_keys", "transactions"),
        },
        generated_columns=("VIRTUAL", "STORED", "PERSISTENT"),
        ungenerated_kinds=("char",),
        foreign_keys=("CASCADE", "SET NULL", ""),
        partitioning=("RANGE", "LIST", "HASH", "KEY"),
        index_methods={"BTREE": dict.fromkeys(INDEXED, ""), "HASH": dict.fromkeys(INDEXED, "")},
        index_prefix=("text", "blob"),
        upserts=("IGNORE", "ON DUPLICATE KEY UPDATE", "REPLACE"),
        analyze_options=("PERSISTENT",),
        analyze_columns=True,
        settings={
            "histogram_size": ("254", "0", "16"),
            "histogram_type": ("'DOUBLE_PREC_HB'", "'SINGLE_PREC_HB'", "'JSON_HB'"),
            "use_stat_tables": ("'PREFERABLY_FOR_QUERIES'", "'PREFERABLY'", "'NEVER'"),
            "optimizer_use_condition_selectivity": ("4", "1", "5"),
        },
    )  # fmt: skip
    library = mysql_library.LIBRARY
    placeholder = "?"

    def type_name(self, t: A.SQLType) -> str:
        names = {"integer": "INT", "double": "DOUBLE", "numeric": "DECIMAL", "real": "FLOAT",
                 "timestamp": "DATETIME", "usmallint": "SMALLINT UNSIGNED",
                 "uinteger": "INT UNSIGNED", "ubigint": "BIGINT UNSIGNED"}  # fmt: skip
        if t.kind in ("string_enum", "set"):
            word = "ENUM" if t.kind == "string_enum" else "SET"
            return f"{word}({', '.join(self.string(m) for m in A.ENUM_MEMBERS)})"
        if t.kind in names:
            base = names[t.kind]
            return f"{base}({', '.join(map(str, t.params))})" if t.params else base
        return super().type_name(t)

    def cast_type(self, t: A.SQLType) -> str:
        return CAST_TYPES.get(t.kind) or self.type_name(t)

    def string(self, s: str) -> str:
        return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"

    def float_literal(self, v: float, t: A.SQLType) -> str:
        """With an exponent: `2.25` alone is a DECIMAL to MySQL, `2.25e0` a DOUBLE."""
        if v == 0 and math.copysign(1, v) < 0:
            return "-0e0"
        text = repr(v)
        return text if "e" in text else text + "e0"

    def typed_string(self, quoted: str, t: A.SQLType) -> str:
        return quoted if t.kind == "json" else super().typed_string(quoted, t)

    def _Binary(self, node: A.Binary) -> str:
        if node.op == "||":  # `||` is OR unless PIPES_AS_CONCAT
            return f"CONCAT({self.render(node.left)}, {self.render(node.right)})"
        return super()._Binary(node)

    def group_by(self, node: A.Select) -> str:
        """ROLLUP of the whole key list is spelled `GROUP BY a, b WITH ROLLUP`."""
        (first, *rest) = node.group_by
        if rest or not isinstance(first, A.GroupingSets) or first.kind != "ROLLUP":
            return super().group_by(node)
        keys = ", ".join(self.render(e) for m in first.members for e in m)
        return f"GROUP BY {keys} WITH ROLLUP"

    def _IsDistinctFrom(self, node: A.IsDistinctFrom) -> str:
        same = f"({self.render(node.left)} <=> {self.render(node.right)})"
        return same if node.negated else f"(NOT {same})"

    def string_agg(self, node: A.Aggregate) -> str:
        value, sep = (self.render(a) for a in node.args)
        order = f" ORDER BY {self.order_items(node.order_by)}" if node.order_by else ""
        distinct = "DISTINCT " if node.distinct else ""
        return f"GROUP_CONCAT({distinct}{value}{order} SEPARATOR {sep})"

    # -- database states -------------------------------------------------------------------

    def collate_clause(self, name: str) -> str:
        charset = name.split("_", 1)[0]  # a latin1 collation needs a latin1 column
        head = "" if charset == "utf8mb4" else f"CHARACTER SET {charset} "
        return f"{head}COLLATE {name}"

    def partition_by(self, p: A.PartitionBy) -> str:
        head = f"PARTITION BY {p.kind} ({self.ident(p.column)})"
        if not p.partitions:
            return f"{head} PARTITIONS {p.count}"
        parts = []
        for part in p.partitions:
            name = f"PARTITION {self.ident(part.name)}"
            if part.default:
                parts.append(f"{name} DEFAULT")
            elif p.kind == "RANGE":
                high = "MAXVALUE" if part.high is None else f"({self.render(part.high)})"
                parts.append(f"{name} VALUES LESS THAN {high}")
            else:
                parts.append(f"{name} VALUES IN ({', '.join(self.render(v) for v in part.values)})")
        return f"{head} ({', '.join(parts)})"

    def _Excluded(self, node: A.Excluded) -> str:
        return f"VALUES({self.ident(node.name)})"

    def _Analyze(self, node: A.Analyze) -> str:
        text = f"ANALYZE TABLE {self.ident(node.table or '')}"
        if "PERSISTENT" not in node.options:
            return text
        if node.columns:
            return f"{text} PERSISTENT FOR COLUMNS ({self.idents(node.columns)}) INDEXES ALL"
        return f"{text} PERSISTENT FOR ALL"

    def _Setting(self, node: A.Setting) -> str:
        return f"SET SESSION {node.name} = {node.value}"
