"""DataFusion: PostgreSQL's syntax over Arrow's types, with no indexes and no CHECK."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from fuzzer import ast as A
from fuzzer.dialects.base import Dialect, family
from fuzzer.dialects.capabilities import STANDARD_SPELLINGS, STANDARD_TYPES, Capabilities
from fuzzer.dialects.catalog import _rules, parse
from fuzzer.functions import datafusion as datafusion_library

#: The catalog's type names are Arrow's (`Int32`, `Utf8View`, `Decimal128(10, 2)`).
ARROW_TYPES = _rules(
    (r"^int16$", lambda m: A.SMALLINT),
    (r"^int32$", lambda m: A.INTEGER),
    (r"^int64$", lambda m: A.BIGINT),
    (r"^decimal128\((\d+), (\d+)\)$", lambda m: A.numeric(*map(int, m.groups()))),
    (r"^float32$", lambda m: A.REAL),
    (r"^float64$", lambda m: A.DOUBLE),
    (r"^(?:large)?utf8(?:view)?$", lambda m: A.TEXT),
    (r"^boolean$", lambda m: A.BOOLEAN),
    (r"^date32$", lambda m: A.DATE),
    (r"^time64\(", lambda m: A.TIME),
    (r"^timestamp\(\w+, none\)$", lambda m: A.TIMESTAMP),
)


class DataFusion(Dialect):
    name = "datafusion"
    typed_floats = True
    catalog_query = """SELECT c.table_name, c.column_name, c.data_type, t.table_type = 'VIEW'
        FROM information_schema.columns c JOIN information_schema.tables t
        ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema
        AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position"""
    capabilities = Capabilities(
        spellings=(*STANDARD_SPELLINGS[:5], "TABLE UNIQUE"),
        # no time: a window ordered by a TIME column fails ("Cannot run range queries on
        # datatype: Time64(ns)", an internal error of DataFusion 55)
        families=("int", "numeric", "float", "text", "bool", "date", "timestamp"),
        column_types={
            **STANDARD_TYPES,
            "text": (A.TEXT, A.varchar(16)),  # no padding: CHAR(n) is Utf8 too
        },
        float_specials=True,
        distinct_on=True,
        aggregate_filter=True,
        like_ops=("LIKE", "ILIKE", "REGEXP"),
        frame_units=("ROWS", "RANGE", "GROUPS"),
        frame_exclude=(),
        maintenance={},
        analyze=False,
        indexes=False,
        checks=False,
        grouping_sets=("ROLLUP", "CUBE", "GROUPING SETS"),
        grouping_function=True,
        row_keyword=True,
        qualify=True,
        union_by_name=True,
        star_modifiers=True,
        cast_shorthand=True,
        subquery_predicates=False,
        limited_scalar_correlation=False,
        general_scalar_correlation=False,
        independent_aggregate_orders=False,
        grouping_composites=False,
        row_comparisons=(),  # "Only identifiers and literals are supported in tuples"
        named_window_frames=False,
        exact_integer_sums=False,
    )  # fmt: skip
    library = datafusion_library.LIBRARY

    def parse_type(self, name: str) -> A.SQLType | None:
        return parse(ARROW_TYPES, name)

    def type_name(self, t: A.SQLType) -> str:
        names = {"double": "DOUBLE", "numeric": "DECIMAL", "blob": "BYTEA"}
        if t.kind in names:
            base = names[t.kind]
            return f"{base}({', '.join(map(str, t.params))})" if t.params else base
        return super().type_name(t)

    def _Literal(self, node: A.Literal) -> str:
        """Numbers with a point as decimals: DataFusion reads `2.50` as a Float64, which
        rounds 99999999999999.9999 before any cast to its column's type could keep it."""
        v, t = node.value, node.type
        if v is None or family(t) != "numeric":
            return super()._Literal(node)
        exponent = Decimal(str(v)).as_tuple().exponent
        scale = max(-exponent, 0) if isinstance(exponent, int) else 0
        precision, scale = t.params if len(t.params) == 2 else (38, scale)
        return f"CAST({self.string(str(v))} AS DECIMAL({precision}, {scale}))"

    def _Like(self, node: A.Like) -> str:
        if node.op != "REGEXP":
            return super()._Like(node)
        op = "!~" if node.negated else "~"
        return f"({self.render(node.operand)} {op} {self.render(node.pattern)})"

    def default(self, expr: A.Expr) -> str:
        """Parenthesised: a number is a CAST here, which DEFAULT takes only in parentheses."""
        return f"({self.render(expr)})"

    def _Update(self, node: A.Update) -> str:
        """Values assigned with their column's type: DataFusion 55 does not coerce an UPDATE's
        assignments, so `SET c = COALESCE(c, 2)` on an INTEGER column fails ("No field named
        __common_expr_1") and `SET c = CASE ... ELSE 2 END` on a SMALLINT ("arguments need to
        have the same data type"), where a query that selects the same expression works."""
        assignments = tuple((c, _typed(v)) for c, v in node.assignments)
        return super()._Update(replace(node, assignments=assignments))


def _typed(value: A.Expr) -> A.Expr:
    """The assigned value's literals cast to their types (the column's), through COALESCE
    and the results of CASE."""
    if isinstance(value, A.Literal) and value.value is not None:
        return A.Cast(value, value.type)
    if isinstance(value, A.Func):
        return replace(value, args=tuple(_typed(a) for a in value.args))
    if isinstance(value, A.Case):
        whens = tuple((w, _typed(t)) for w, t in value.whens)
        default = _typed(value.default) if value.default is not None else None
        return replace(value, whens=whens, default=default)
    return value
