"""Database state: tables with the options real schemas have, rows, indexes, writes, statistics.

Tables get the dialect's CREATE TABLE options (storage engines, STRICT, WITHOUT ROWID,
partitions, generated columns, foreign keys, temporary tables), their text columns the
server's collations, their rows skewed distributions and, now and then, hundreds of rows
from a recursive CTE. Indexes come in every kind the dialect has; upserts, UPDATEs and
DELETEs run between index creation and queries; planner statistics are gathered or written.

The generator mirrors every statement into its `Schema`, including which values each column
holds (a superset where a write's effect is not known exactly), and never emits a write that
its own constraints would reject: a statement that fails at setup tests nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from fuzzer import ast as A
from fuzzer.collations import fold
from fuzzer.dialects import family
from fuzzer.dialects.capabilities import ENUM_TYPE
from fuzzer.generator.expressions import Col, Ctx, Scope
from fuzzer.schema import Column, Table

if TYPE_CHECKING:
    from fuzzer.generator import Generator

#: families that make good keys: equality is exact and values are plentiful
KEY_FAMILIES = ("int", "text", "numeric")
#: a value no generated row holds, so CHECK (c <> sentinel) always passes
SENTINELS = {"int": 4242, "text": "zzzz"}
SLOTS = 8
COMMON_FAMILIES = ("int", "text", "int", "numeric", "float", "bool", "date")
#: generated columns: their families, and a type wide enough for what the expression makes
GENERATED_TYPES = {
    "int": A.BIGINT, "numeric": A.numeric(18, 4), "float": A.DOUBLE, "text": A.TEXT,
    "bool": A.BOOLEAN, "date": A.DATE,
}  # fmt: skip
#: text that collations fold together: case, accents (also decomposed), trailing spaces
FOLDED = ("a", "A", "á", "Á", "ä", "a ", "A  ", "e", "É", "é", "e\u0301", "o", "ö", "Ö", "u",
          "ü", "Ü", "n", "ñ", "Ñ", "b ", "B", "日本")  # fmt: skip
#: rows of a large table, made by INSERT ... SELECT from a recursive CTE, and how often a
#: table gets them
LARGE_ROWS = (100, 150)
LARGE_CHANCE = 0.02
#: key values of large tables start above every pool value
LARGE_KEY_BASE = 1000


@dataclass
class Layout:
    """What the state knows of a table beyond the schema mirror, for its later statements."""

    table: Table
    lacks: tuple[str, ...] = ()  # what its storage engine cannot do
    persistence: str | None = None  # TEMPORARY, UNLOGGED: no foreign key may reference it
    partitioned: str | None = None  # the partition column
    parent: bool = False  # a foreign key references it
    #: a foreign key without an ON DELETE action references it: no row of it is deleted,
    #: nor updated (DuckDB takes an update for a delete and an insert)
    frozen: bool = False
    #: child column -> the parent table and its key column
    references: dict[str, tuple[Table, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # column -> what its DEFAULT gives
    #: columns an expression (generated column, index) computes on: never edge values, as
    #: arithmetic on them would overflow in a later write
    tame: set[str] = field(default_factory=set)
    skew: dict[str, Any] = field(default_factory=dict)  # column -> the value most rows hold
    indexes: list[tuple[str, int]] = field(default_factory=list)  # name, key parts
    generated: dict[str, A.Generated] = field(default_factory=dict)  # column -> expression
    primary: str | None = None  # the column that is the primary key on its own
    unique_indexes: int = 0  # DuckDB counts them as constraints an upsert may conflict on

    @property
    def keys(self) -> set[str]:
        return _key_columns(self.table)

    def writable(self) -> list[Column]:
        """Columns a write may set freely: no key, no foreign key, not generated."""
        keys = self.keys
        return [
            c for c in self.table.columns
            if c.name not in keys and c.name not in self.references and not c.generated
        ]  # fmt: skip


class State:
    def __init__(self, g: Generator) -> None:
        self.g = g
        self.rng: random.Random = g.rng
        self.caps = g.caps
        self.names = 0
        self.collations: dict[str, str] = {}  # slot -> its collation
        #: each table's layout, by name: what statements after the setup (an oracle's index
        #: or insert) must know of it
        self.layouts: dict[str, Layout] = {}

    def keyable(self, c: Column) -> bool:
        """May this column be a key or an index column?"""
        return c.type.kind not in self.caps.unkeyed_kinds

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def database(self) -> list[A.Statement]:
        rng, opt, caps = self.rng, self.g.options, self.caps
        stmts: list[A.Statement] = [
            A.Setting(name, rng.choice(values)) for name, values in caps.settings.items()
        ]
        slots = self.slots()
        stmts += self.types()
        self.collations = self.slot_collations(slots)
        layouts: list[Layout] = []
        for i in range(rng.randint(*opt.tables)):
            created, layout = self.create_table(f"t{i}", slots, layouts)
            stmts += created
            layouts.append(layout)
        if caps.foreign_key_setting and any(lay.references for lay in layouts):
            stmts.insert(0, A.Setting(*caps.foreign_key_setting))
        for layout in layouts:
            stmts += self.inserts(layout)
        for layout in layouts:
            if rng.random() < LARGE_CHANCE and _numbered(layout):
                stmts.append(self.large_insert(layout))
        for layout in layouts if caps.indexes else ():
            for _ in range(rng.randint(0, 2)):
                index = self.create_index(layout)
                if index is not None:
                    index = replace(index, spellings=self.g.spelling.draw("IF NOT EXISTS"))
                    stmts.append(index)
                    if index.where is None:
                        layout.table.indexes.append(index.name)
        for layout in layouts:  # all before any DELETE: a child's upsert names its parents' keys
            if caps.upserts and rng.random() < 0.35:
                upsert = self.upsert(layout)
                if upsert is not None:
                    stmts.append(upsert)
        for layout in layouts:
            if layout.frozen:
                continue
            update = self.update(layout) if rng.random() < 0.3 else None
            if update is not None:
                stmts.append(update)
            if rng.random() < 0.15:
                stmts.append(self.delete(layout))
        # a view may not read temporary tables (SQLite, DuckDB): with only those, none
        views = rng.randint(1, 2) if any(not lay.table.temporary for lay in layouts) else 0
        for _ in range(views):
            stmts.append(self.create_view())
        maintenance = caps.maintenance
        for _ in range(rng.randint(1, 2) if maintenance else 0):
            kind = rng.choice(list(maintenance))
            plain = [lay.table.name for lay in layouts if not lay.table.temporary]
            table = rng.choice(plain) if maintenance[kind] and plain else None
            stmts.append(A.Maintenance(kind, table))
        return stmts + self.statistics(layouts)

    def types(self) -> list[A.Statement]:
        """The types the tables' columns may be of that the database must create first."""
        if not self.caps.enum_labels:
            return []
        return [A.CreateEnum(ENUM_TYPE, self.caps.enum_labels)]

    def slots(self) -> list[tuple[str, str]]:
        """Column names and their families, shared by all tables: a name always has one
        family, so NATURAL joins and USING compare like with like."""
        fams = self.caps.families
        common = [f for f in COMMON_FAMILIES if f in fams]
        chosen = [common[0], common[1 % len(common)]]
        while len(chosen) < SLOTS:
            chosen.append(self.rng.choice(common if self.rng.random() < 0.6 else fams))
        return [(f"c{i}", f) for i, f in enumerate(chosen)]

    def slot_collations(self, slots: list[tuple[str, str]]) -> dict[str, str]:
        """One collation for all text slots, or none: two collations in one comparison or
        set operation are an error to MariaDB, PostgreSQL and DuckDB alike."""
        rng, collations = self.rng, self.caps.collations
        text = [name for name, fam in slots if fam == "text"]
        if not collations or not text or rng.random() < 0.4:
            return {}
        one = rng.choice(collations)
        return {name: one for name in text}

    # -- tables ----------------------------------------------------------------------------

    def create_table(
        self, name: str, slots: list[tuple[str, str]], earlier: list[Layout]
    ) -> tuple[list[A.Statement], Layout]:
        rng, caps = self.rng, self.caps
        picked = sorted(rng.sample(range(len(slots)), rng.randint(2, 5)))
        columns: list[Column] = []
        for i in picked:
            col_name, fam = slots[i]
            t = rng.choice(caps.column_types[fam])
            columns.append(Column(col_name, t, collate=self.collations.get(col_name)))
        persistence = None
        if caps.persistence and rng.random() < 0.1:
            persistence = rng.choice(caps.persistence)
        engine, lacks = None, ()
        if caps.storage_engines and rng.random() < 0.4:
            engine = rng.choice(list(caps.storage_engines))
            lacks = caps.storage_engines[engine]
            if any(c.type.kind in lacks for c in columns):
                engine, lacks = None, ()
        table = Table(name, columns, temporary=persistence == "TEMPORARY")
        layout = self.layouts[name] = Layout(table, lacks, persistence)
        pk = self.keys(layout)
        fks = self.foreign_key(layout, earlier) if persistence is None else ()
        partition = None
        if caps.partitioning and persistence is None and not fks and rng.random() < 0.15:
            partition, pk = self.partitioning(layout, pk)
        if caps.generated_columns and "generated" not in lacks and rng.random() < 0.3:
            for _ in range(rng.randint(1, 2)):
                generated = self.generated_column(layout)
                if generated is not None:
                    columns.append(generated)
        defs = tuple(self.column_def(layout, c) for c in columns)
        checks = self.table_checks(columns)
        options = [f"ENGINE={engine}"] if engine else []
        if partition is None:
            options += self.table_options(bool(pk or layout.primary))
        create = A.CreateTable(
            name, defs, primary_key=pk, checks=checks, persistence=persistence,
            foreign_keys=fks, options=tuple(options), partition_by=partition,
            spellings=self.g.spelling.draw(
                "IF NOT EXISTS", "CONSTRAINT NAME", "TABLE UNIQUE", "TABLE CHECK"
            ),
        )  # fmt: skip
        self.g.schema.add(table)
        stmts: list[A.Statement] = [create]
        if partition is not None and caps.partition_statements:
            stmts += [A.CreatePartition(p.name, name, partition.kind, p)
                      for p in partition.partitions]  # fmt: skip
        return stmts, layout

    def keys(self, layout: Layout) -> tuple[str, ...]:
        """Choose the keys (`table.keys`, the columns' flags); the table-level primary key."""
        rng, table = self.rng, layout.table
        columns = table.columns
        keyable = [c for c in columns if c.family in KEY_FAMILIES and self.keyable(c)]
        pk: tuple[str, ...] = ()
        r = rng.random()
        if keyable and r < 0.4:
            key = rng.choice(keyable)
            key.unique = key.not_null = True
            layout.primary = key.name
        elif len(keyable) >= 2 and r < 0.55:
            pk = tuple(c.name for c in rng.sample(keyable, 2))
        for c in columns:
            primary = c.name == layout.primary
            if not primary and c in keyable and rng.random() < 0.15:
                c.unique = True
            if not primary and rng.random() < 0.15:
                c.not_null = True
            if c.name in pk:
                c.not_null = True
        table.keys = [(c.name,) for c in columns if c.unique] + ([pk] if pk else [])
        return pk

    def foreign_key(self, layout: Layout, earlier: list[Layout]) -> tuple[A.ForeignKey, ...]:
        """A reference from a column of this table to a one-column key of an earlier one
        with the same slot (added to the table if need be); the column takes the key's type,
        as MariaDB wants."""
        rng, caps = self.rng, self.caps
        if not caps.foreign_keys or "foreign_keys" in layout.lacks or rng.random() >= 0.5:
            return ()
        keys = layout.keys
        candidates = [
            (parent, key[0]) for parent in earlier for key in parent.table.keys
            if len(key) == 1 and key[0] not in keys and parent.persistence is None
            and not parent.partitioned and "foreign_keys" not in parent.lacks
        ]  # fmt: skip
        if not candidates:
            return ()
        parent, column = rng.choice(candidates)
        key = parent.table.column(column)
        columns = layout.table.columns
        if all(c.name != column for c in columns):  # the slot joins the table
            columns.append(Column(column, key.type, collate=key.collate))
        child = layout.table.column(column)
        child.type = key.type
        child.not_null = False  # a row with no parent to name holds NULL
        action = rng.choice(caps.foreign_keys)
        layout.references[column] = (parent.table, column)
        parent.parent = True
        parent.frozen |= not action
        return (A.ForeignKey(column, parent.table.name, column, action or None),)

    def partitioning(
        self, layout: Layout, pk: tuple[str, ...]
    ) -> tuple[A.PartitionBy | None, tuple[str, ...]]:
        """PARTITION BY an integer column, which every key must then contain; a DEFAULT or
        unbounded partition takes what the bounds leave (NULL, extreme values)."""
        rng, caps, table = self.rng, self.caps, layout.table
        # signed integers: the bounds below are out of an unsigned or YEAR column's domain
        ints = [c for c in table.columns if c.type.kind in A.INTEGER_KINDS]
        if not ints:
            return None, pk
        column = rng.choice(ints)
        for c in table.columns:
            if c is not column:
                c.unique = False
        if layout.primary != column.name:
            layout.primary = None
        if column.name not in pk:
            pk = ()
        table.keys = [k for k in table.keys if column.name in k and (len(k) == 1 or k == pk)]
        kind = rng.choice(caps.partitioning)
        layout.partitioned = column.name
        lit = lambda v: A.Literal(v, A.INTEGER)  # noqa: E731
        name = table.name
        if kind in ("HASH", "KEY"):
            count = rng.randint(2, 4)
            if not caps.partition_statements:
                return A.PartitionBy(kind, column.name, count=count), pk
            parts = tuple(A.Partition(f"{name}p{r}", lit(r), lit(count)) for r in range(count))
            return A.PartitionBy(kind, column.name, parts), pk
        bounds = sorted(rng.sample(range(-2, 10), 2))
        if kind == "RANGE":
            edges: list[int | None] = [None, *bounds, None]
            parts = tuple(
                A.Partition(f"{name}p{i}", None if lo is None else lit(lo),
                            None if hi is None else lit(hi))
                for i, (lo, hi) in enumerate(pairwise(edges))
            )  # fmt: skip
            if not caps.partition_statements:  # LESS THAN: the lower bounds are implied
                parts = tuple(A.Partition(p.name, None, p.high) for p in parts)
            else:  # NULL goes to the DEFAULT partition
                parts += (A.Partition(f"{name}pd", default=True),)
            return A.PartitionBy(kind, column.name, parts), pk
        low, high = bounds
        parts = (
            A.Partition(f"{name}p0", values=tuple(lit(v) for v in range(low, high))),
            A.Partition(f"{name}p1", values=(lit(high),)),
            A.Partition(f"{name}pd", default=True),
        )
        return A.PartitionBy(kind, column.name, parts), pk

    def generated_column(self, layout: Layout) -> Column | None:
        """A column computed from the others by a deterministic, subquery-free expression."""
        rng, caps, table = self.rng, self.caps, layout.table
        fam = rng.choice([f for f in GENERATED_TYPES if f in caps.families])
        # not a foreign key's column: MariaDB refuses one whose ON DELETE action may change it
        sources = [c for c in table.columns
                   if not c.generated and c.type.kind not in caps.ungenerated_kinds
                   and c.name not in layout.references]  # fmt: skip
        scope = self.expression_scope(sources, False)
        # a constant is no computation; PostgreSQL finds no collation for text constants
        # compared; a comparison across families (MariaDB's DATE '...' = c) is an error where
        # a row is stored, though only a warning in a query
        for _ in range(3):
            expr = self.g.expressions.expr(fam, Ctx(scope, subqueries=False, strict=True), 1)
            if (_columns_in(expr) and self.computable(expr) and not _constant_text(expr)
                    and not _mixed(expr, sources)):  # fmt: skip
                break
        else:
            return None
        layout.tame |= _columns_in(expr)
        column = Column(self.name("g"), GENERATED_TYPES[fam], generated=True)
        layout.generated[column.name] = A.Generated(expr, rng.choice(caps.generated_columns))
        return column

    def column_def(self, layout: Layout, c: Column) -> A.ColumnDef:
        if c.generated:
            return A.ColumnDef(c.name, c.type, generated=layout.generated[c.name])
        rng = self.rng
        primary = c.name == layout.primary
        free = c.name not in layout.keys and c.name not in layout.references
        default = check = None
        if free and c.family in ("int", "text", "numeric", "bool") and rng.random() < 0.15:
            value = self.value(layout, c)
            default = self.default_expr(value, c.type)
            layout.defaults[c.name] = value
        if self.caps.checks and c.family in SENTINELS and c.name not in layout.references \
                and rng.random() < 0.15:
            sentinel = A.Literal(SENTINELS[c.family], c.type)
            check = A.Binary("<>", A.ColumnRef(None, c.name), sentinel)
        return A.ColumnDef(
            c.name, c.type, not_null=c.not_null and not primary, primary_key=primary,
            unique=c.unique and not primary, default=default, check=check, collate=c.collate,
        )  # fmt: skip

    def default_expr(self, value: Any, t: A.SQLType) -> A.Expr:
        """A DEFAULT that gives `value`: the literal, or an expression the engine folds."""
        lit = A.Literal(value, t)
        r = self.rng.random()
        if r < 0.5:
            return lit
        if r < 0.75 or family(t) != "int":
            return A.Func("COALESCE", (A.Literal(None, t), lit))
        return A.Binary("+", lit, A.Literal(0, A.INTEGER))

    def table_checks(self, columns: list[Column]) -> tuple[A.Expr, ...]:
        """A table-level CHECK over two columns that no generated row can violate."""
        guarded = [c for c in columns if c.family in SENTINELS and not c.generated]
        if not self.caps.checks or len(guarded) < 2 or self.rng.random() >= 0.1:
            return ()
        a, b = self.rng.sample(guarded, 2)
        sides = [A.Binary("<>", A.ColumnRef(None, c.name), A.Literal(SENTINELS[c.family], c.type))
                 for c in (a, b)]  # fmt: skip
        return (A.Binary("OR", sides[0], sides[1]),)

    def table_options(self, has_pk: bool) -> list[str]:
        """Each of the dialect's table options now and then; one value per option name."""
        chosen: list[str] = []
        for option in self.caps.table_options:
            if self.rng.random() >= 0.12:
                continue
            if option in self.caps.keyed_table_options and not has_pk:
                continue
            if all(_option_name(o) != _option_name(option) for o in chosen):
                chosen.append(option)
        return chosen

    # -- rows ------------------------------------------------------------------------------

    def value(self, layout: Layout, c: Column) -> Any:
        """A value for a column of this table: its parent's keys for a foreign key, the
        skew value mostly, text its collation folds, never an edge value in a tame column,
        only characters its charset has."""
        rng = self.rng
        if c.name in layout.references:
            parent, key = layout.references[c.name]
            held = parent.column(key).values
            return rng.choice(held) if held else None
        if c.name in layout.skew and rng.random() < 0.8:
            return layout.skew[c.name]
        members = c.type.kind in ("string_enum", "set")  # only their members fit
        if c.collate and c.family == "text" and not members and c.name not in layout.keys \
                and rng.random() < 0.35:
            limit = c.type.params[0] if c.type.params else None
            v: Any = rng.choice(FOLDED)[:limit]
        else:
            v = self.g.values.value(c.type, edges=c.name not in layout.tame)
        return v if self.storable(c, v) else "a"

    def storable(self, c: Column, v: Any) -> bool:
        if not (isinstance(v, str) and c.collate):
            return True
        for prefix, codec in self.caps.collation_codecs.items():
            if c.collate.startswith(prefix):
                try:
                    v.encode(codec)
                except UnicodeEncodeError:
                    return False
        return True

    def inserts(self, layout: Layout) -> list[A.Insert]:
        rng, opt, table = self.rng, self.g.options, layout.table
        if rng.random() < 0.3:  # duplicate-heavy: most rows share a value per column
            for c in layout.writable():
                if rng.random() < 0.6:
                    layout.skew[c.name] = self.value(layout, c)
        columns = [c for c in table.columns if not c.generated]
        omitted = [c for c in columns if c.name in layout.defaults and rng.random() < 0.4]
        if len(omitted) == len(columns):  # `INSERT INTO t () VALUES ()` is MySQL's alone
            omitted = omitted[1:]
        listed = [c for c in columns if c not in omitted]
        seen: dict[tuple[str, ...], set] = {key: set() for key in table.keys}
        rows: list[tuple[A.Expr, ...]] = []
        for _ in range(rng.randint(*opt.rows)):
            row = self.row(layout, listed, seen)
            if row is not None:
                rows.append(row)
        if rows:
            for c in omitted:
                self.remember(c, layout.defaults[c.name])
        table.rows += len(rows)
        names = tuple(c.name for c in listed)
        cut = rng.randint(1, max(1, len(rows) - 1))
        batches = [rows[:cut], rows[cut:]] if rng.random() < 0.5 else [rows]
        return [A.Insert(table.name, names, tuple(b), spellings=self.g.spelling.draw("RETURNING"))
                for b in batches if b]  # fmt: skip

    def row(
        self, layout: Layout, columns: list[Column], seen: dict[tuple[str, ...], set]
    ) -> tuple[A.Expr, ...] | None:
        """One row that keeps every key unique; None when ten tries could not find one."""
        rng, keys = self.rng, layout.keys
        for _ in range(10):
            row: dict[str, Any] = {}
            for c in columns:
                nullable = not c.not_null and c.name not in keys
                row[c.name] = None if nullable and rng.random() < 0.1 else self.value(layout, c)
            key_values = {k: tuple(_key(row.get(n)) for n in k) for k in seen}
            if all(None in kv or kv not in seen[k] for k, kv in key_values.items()):
                break
        else:
            return None
        for k, kv in key_values.items():
            seen[k].add(kv)
        for c in columns:
            if row[c.name] is not None:
                self.remember(c, row[c.name])
        return tuple(_literal(row[c.name], c.type) for c in columns)

    def remember(self, c: Column, v: Any) -> None:
        if v not in c.values:
            c.values.append(v)
        c.extreme = c.extreme or self.g.values.is_extreme(c.type, v)

    def large_insert(self, layout: Layout) -> A.InsertSelect:
        """Hundreds of rows from a recursive CTE over n = 1..N: keys from n, the other
        columns duplicate-heavy (n modulo a small number, two values, seldom one)."""
        rng, table, keys = self.rng, layout.table, layout.keys
        count = rng.randint(*LARGE_ROWS)
        n = A.ColumnRef(None, "n")
        numbers = range(1, count + 1)
        items: list[A.SelectItem] = []
        columns = [c for c in table.columns if not c.generated]
        for c in columns:
            held: list[Any]
            if c.name in keys and c.family == "text":
                e: A.Expr = A.Binary("||", A.Literal("k", A.TEXT), A.Cast(n, A.TEXT))
                held = [f"k{i}" for i in numbers]
            elif c.name in keys:
                e = A.Binary("+", n, A.Literal(LARGE_KEY_BASE, A.INTEGER))
                wrap = Decimal if c.family == "numeric" else int
                held = [wrap(LARGE_KEY_BASE + i) for i in numbers]
            elif c.name in layout.references or (not c.not_null and rng.random() < 0.1):
                e, held = A.Literal(None, c.type), []
            elif c.family == "int" and rng.random() < 0.7:
                mod = rng.randint(3, 12)
                e, held = A.Binary("%", n, A.Literal(mod, A.INTEGER)), list(range(mod))
            elif rng.random() < 0.2:  # one value: joins on it square the table
                v = self.value(layout, c)
                e, held = _literal(v, c.type), [v]
            else:
                v1, v2 = self.value(layout, c), self.value(layout, c)
                every = A.Binary("%", n, A.Literal(rng.randint(2, 10), A.INTEGER))
                test = A.Binary("=", every, A.Literal(0, A.INTEGER))
                e, held = (
                    A.Case(None, ((test, _literal(v1, c.type)),), _literal(v2, c.type)),
                    [v1, v2],
                )
            items.append(A.SelectItem(e))
            for v in held:
                if v is not None:
                    self.remember(c, v)
        one = A.Literal(1, A.INTEGER)
        step = A.Select(
            (A.SelectItem(A.Binary("+", n, one)),), (A.TableRef("r"),),
            where=A.Binary("<", n, A.Literal(count, A.INTEGER)),
        )  # fmt: skip
        cte = A.CTE("r", A.SetOp("UNION", A.Select((A.SelectItem(one),)), step, all=True), ("n",))
        query = A.With((cte,), A.Select(tuple(items), (A.TableRef("r"),)), recursive=True)
        table.rows += count
        return A.InsertSelect(table.name, tuple(c.name for c in columns), query)

    # -- indexes ---------------------------------------------------------------------------

    def create_index(self, layout: Layout) -> A.CreateIndex | None:
        rng, caps, table = self.rng, self.caps, layout.table
        indexable = [c for c in table.columns if self.indexable(layout, c)]
        if caps.index_methods and rng.random() < 0.35:
            index = self.method_index(layout)
            if index is not None:
                return index
        keyed = [c for c in indexable if c.family != "json"]
        if not keyed:
            return None
        cols = rng.sample(keyed, rng.randint(1, min(3, len(keyed))))
        prefixed = any(c.type.kind in caps.index_prefix for c in cols)
        names = {c.name for c in cols}
        unique = not prefixed and rng.random() < 0.5 and any(set(k) <= names for k in table.keys)
        items = [self.index_item(c, unique) for c in cols]
        if caps.expression_index and not unique and rng.random() < 0.3:
            scope = self.expression_scope([c for c in indexable if c.family != "json"], True)
            ctx = Ctx(scope, subqueries=False, strict=True)
            expr = self.g.expressions.expr(cols[0].family, ctx, 2)
            if _columns_in(expr) and self.computable(expr):  # a constant indexes nothing
                layout.tame |= _columns_in(expr)
                items[0] = A.IndexItem(expr, items[0].descending)
        name = self.name("i")
        layout.indexes.append((name, len(items)))
        layout.unique_indexes += unique
        return A.CreateIndex(name, table.name, tuple(items), unique, self.index_where(table))

    def computable(self, expr: A.Expr) -> bool:
        """May an expression whose value the engine stores hold the casts this one does? (What
        it calls was drawn among the `storable` signatures.)"""
        return self.caps.stored_casts or not any(isinstance(n, A.Cast) for n in _nodes(expr))

    def expression_scope(self, columns: list[Column], values: bool) -> Scope:
        """The columns an index or generated column may compute on: text columns of one
        collation only, as two collations in one expression make PostgreSQL give up."""
        text = [c.collate for c in columns if c.family == "text"]
        one = [c for c in columns if c.family != "text" or c.collate == text[0]]
        return Scope([Col(None, c.name, c.type, tuple(c.values) if values else (), c.extreme)
                      for c in one])  # fmt: skip

    def indexable(self, layout: Layout, c: Column) -> bool:
        if c.generated and (not self.caps.generated_index or "generated_index" in layout.lacks):
            return False
        return self.keyable(c) or c.type.kind in self.caps.index_prefix

    def index_item(self, c: Column, unique: bool) -> A.IndexItem:
        rng, caps = self.rng, self.caps
        prefix = rng.choice((3, 8)) if c.type.kind in caps.index_prefix else None
        collate = None
        if caps.index_collate and caps.collations and c.family == "text" and not unique:
            collate = rng.choice(caps.collations) if rng.random() < 0.25 else None
        descending = rng.random() < 0.5 if caps.index_order and rng.random() < 0.4 else None
        return A.IndexItem(A.ColumnRef(None, c.name), descending, collate, prefix)

    def method_index(self, layout: Layout) -> A.CreateIndex | None:
        """An index of another method (hash, GIN, GiST, BRIN; MariaDB's HASH): one column,
        through the function the method needs for its family."""
        rng, table = self.rng, layout.table
        method = rng.choice(list(self.caps.index_methods))
        through = self.caps.index_methods[method]
        cols = [c for c in table.columns if c.family in through and
                (not c.generated or self.indexable(layout, c))]  # fmt: skip
        if not cols:
            return None
        c = rng.choice(cols)
        ref: A.Expr = A.ColumnRef(None, c.name)
        expr = A.Func(through[c.family], (ref,)) if through[c.family] else ref
        prefix = rng.choice((3, 8)) if c.type.kind in self.caps.index_prefix else None
        name = self.name("i")
        layout.indexes.append((name, 1))
        item = A.IndexItem(expr, prefix=prefix)
        return A.CreateIndex(name, table.name, (item,), False, self.index_where(table), method)

    def index_where(self, table: Table) -> A.Expr | None:
        if self.caps.partial_index and self.rng.random() < 0.3:
            return self.g.expressions.comparison(Ctx(self.table_scope(table)), 0)
        return None

    def table_scope(self, table: Table) -> Scope:
        return Scope([Col(None, c.name, c.type, tuple(c.values), c.extreme) for c in table.columns])

    # -- writes between index creation and queries -----------------------------------------

    def upsert(self, layout: Layout) -> A.Insert | None:
        """INSERT rows whose keys may be taken, in one of the dialect's upsert forms; some
        forms need the table to have exactly one key (and no other unique index)."""
        rng, table = self.rng, layout.table
        if not table.keys or layout.parent:  # a REPLACE would delete referenced rows
            return None
        single = len(table.keys) == 1 and not layout.unique_indexes
        forms = [f for f in self.caps.upserts if single or f not in self.caps.one_key_upserts]
        # PostgreSQL will not move a row to another partition in ON CONFLICT DO UPDATE
        free = [c for c in layout.writable() if c.name != layout.partitioned]
        if not free:
            forms = [f for f in forms if f not in ("DO UPDATE", "ON DUPLICATE KEY UPDATE")]
        if not forms:
            return None
        form = rng.choice(forms)
        target: tuple[str, ...] = ()
        if form == "DO UPDATE" or (form == "DO NOTHING" and single and rng.random() < 0.5):
            target = table.keys[0]
        assignments: list[tuple[str, A.Expr]] = []
        if form in ("DO UPDATE", "ON DUPLICATE KEY UPDATE"):
            for c in rng.sample(free, rng.randint(1, min(2, len(free)))):
                new: A.Expr = A.Excluded(c.name)
                if rng.random() < 0.5:  # the new value, or the old one where it is NULL
                    new = A.Func("COALESCE", (new, A.ColumnRef(table.name, c.name)))
                assignments.append((c.name, new))
        columns = [c for c in table.columns if not c.generated]
        seen: dict[tuple[str, ...], set] = {key: set() for key in table.keys}
        rows = [r for r in (self.row(layout, columns, seen) for _ in range(rng.randint(1, 4))) if r]
        if not rows:
            return None
        names = tuple(c.name for c in columns)
        return A.Insert(
            table.name, names, tuple(rows), A.OnConflict(form, target, tuple(assignments)),
            self.g.spelling.draw("RETURNING"),
        )

    def update(self, layout: Layout) -> A.Update | None:
        """SET one to three non-key columns to values, CASE or COALESCE over the old value,
        or another column of the same type: keys stay unique, the mirror a superset."""
        rng, table = self.rng, layout.table
        free = layout.writable()
        if not free:
            return None
        ctx = Ctx(self.table_scope(table), subqueries=False, strict=True)
        where = self.write_filter(table, ctx)
        assignments: list[tuple[str, A.Expr]] = []
        for c in rng.sample(free, rng.randint(1, min(3, len(free)))):
            assignments.append((c.name, self.new_value(layout, c, ctx)))
        return A.Update(table.name, tuple(assignments), where)

    def write_filter(self, table: Table, ctx: Ctx) -> A.Expr:
        """A WHERE for an UPDATE or DELETE that compares no column with a constant of another
        family: MariaDB's strict mode fails the write on the conversion ('Truncated
        incorrect DECIMAL value'), where a query only warns."""
        for _ in range(3):
            where = self.g.expressions.predicate(ctx, 1)
            if not _mixed(where, table.columns):
                return where
        return self.g.expressions.comparison(ctx, 0)

    def new_value(self, layout: Layout, c: Column, ctx: Ctx) -> A.Expr:
        rng, old = self.rng, A.ColumnRef(None, c.name)
        r = rng.random()
        if r >= 0.8:
            others = [
                o for o in layout.table.columns
                if o is not c and not o.generated and o.type == c.type and o.collate == c.collate
                and (o.not_null or not c.not_null) and not (c.name in layout.tame and o.extreme)
            ]  # fmt: skip
            if others:
                o = rng.choice(others)
                for v in o.values:  # in MariaDB's order or the standard's: a superset either way
                    self.remember(c, v)
                return A.ColumnRef(None, o.name)
        v = self.value(layout, c)
        if v is None:
            return old
        self.remember(c, v)
        lit = _literal(v, c.type)
        if r < 0.4:
            return lit
        if r < 0.6:
            return A.Case(None, ((self.g.expressions.comparison(ctx, 0), lit),), old)
        return A.Func("COALESCE", (old, lit))

    def delete(self, layout: Layout) -> A.Delete:
        rng, table = self.rng, layout.table
        if rng.random() < 0.5:
            ctx = Ctx(self.table_scope(table), subqueries=False, strict=True)
            return A.Delete(table.name, self.write_filter(table, ctx),
                            self.g.spelling.draw("RETURNING"))  # fmt: skip
        c = rng.choice(table.columns)
        value = rng.choice(c.values) if c.values else self.g.values.value(c.type)
        where = A.Binary("=", A.ColumnRef(None, c.name), _literal(value, c.type))
        return A.Delete(table.name, where, self.g.spelling.draw("RETURNING"))

    def create_view(self) -> A.CreateView:
        q = self.g.queries
        q.env = [t for t in self.g.schema.tables if not t.temporary]
        with q.clauses.for_view(), self.g.expressions.without_errors():
            query, outs = q.select(max(self.g.options.max_depth - 1, 1))
        name = self.name("v")
        spellings = self.g.spelling.draw("TEMPORARY VIEW")
        self.g.schema.add(
            Table(
                name,
                [Column(c.name, c.type, values=list(c.values), extreme=c.extreme) for c in outs],
                # a temporary view is the session's: a later plain view may not read it
                temporary=bool(spellings),
                view=True,
                query=query,
            )
        )
        return A.CreateView(name, query, tuple(c.name for c in outs), spellings)

    # -- planner statistics ----------------------------------------------------------------

    def statistics(self, layouts: list[Layout]) -> list[A.Statement]:
        """Statistics gathered (ANALYZE with options and columns) and written: extended
        statistics and per-column targets, or rows of the engine's own statistics table."""
        rng, caps = self.rng, self.caps
        stmts: list[A.Statement] = []
        for layout in layouts:
            table = layout.table
            plain = [c.name for c in table.columns if not c.generated]
            if caps.statistics and len(plain) >= 2 and rng.random() < 0.3:
                cols = tuple(rng.sample(plain, rng.randint(2, min(3, len(plain)))))
                kinds = tuple(k for k in caps.statistics if rng.random() < 0.5)
                stmts.append(A.CreateStatistics(self.name("s"), table.name, cols, kinds))
            if caps.set_statistics and rng.random() < 0.25:
                column = rng.choice(plain)
                if layout.partitioned or rng.random() < 0.5:
                    target = rng.choice((0, 1, 10, 100, 10000))
                    stmts.append(A.SetStatistics(table.name, column, target=target))
                else:
                    ratio = rng.choice((-1.0, -0.5, 1.0, 3.0, 1000.0))
                    stmts.append(A.SetStatistics(table.name, column, n_distinct=ratio))
            if caps.analyze and rng.random() < 0.3:
                stmts.append(self.analyze(table, plain))
        if caps.stat_rows and rng.random() < 0.4:
            stmts += self.stat_rows([lay for lay in layouts if not lay.table.temporary])
        return stmts

    def analyze(self, table: Table, plain: list[str]) -> A.Analyze:
        rng, caps = self.rng, self.caps
        options: list[str] = []
        for option in caps.analyze_options:
            if rng.random() < 0.5 and all(_option_name(o) != _option_name(option) for o in options):
                options.append(option)
        columns: tuple[str, ...] = ()
        if caps.analyze_columns and rng.random() < 0.5:
            columns = tuple(rng.sample(plain, rng.randint(1, len(plain))))
        return A.Analyze(table.name, columns, tuple(options))

    def stat_rows(self, layouts: list[Layout]) -> list[A.Statement]:
        """SQLite's sqlite_stat1, rewritten: ANALYZE makes it, made-up rows replace a table's,
        `ANALYZE sqlite_schema` loads them. Plans change, answers must not."""
        rng = self.rng
        stmts: list[A.Statement] = [A.Maintenance("ANALYZE")]
        for layout in layouts:
            if rng.random() < 0.5:
                continue
            name = A.Literal(layout.table.name, A.TEXT)
            stmts.append(A.Delete("sqlite_stat1", A.Binary("=", A.ColumnRef(None, "tbl"), name)))
            rows = rng.choice((1, 10, 1000, 1_000_000))
            stats = [(A.Literal(None, A.NULLTYPE), str(rows))]
            for index, parts in layout.indexes:
                per = [max(1, rows // rng.choice((1, 2, 10, rows))) for _ in range(parts)]
                per.sort(reverse=True)
                stat = " ".join(map(str, [rows, *per])) + rng.choice(("", "", " unordered"))
                stats.append((A.Literal(index, A.TEXT), stat))
            values = tuple((name, idx, A.Literal(stat, A.TEXT)) for idx, stat in stats)
            stmts.append(A.Insert("sqlite_stat1", ("tbl", "idx", "stat"), values))
        stmts.append(A.Maintenance("ANALYZE", "sqlite_schema"))
        return stmts


def _numbered(layout: Layout) -> bool:
    """Can its keys take n + 1000 or 'k' || n (large_insert)? Not YEAR, BIT(n), ENUM, SET."""
    kinds = {layout.table.column(k).type.kind for key in layout.table.keys for k in key}
    return not kinds & {"year", "bit", "string_enum", "set"}


def _nodes(expr: Any) -> Iterator[Any]:
    """Every node of an expression tree, the expression first."""
    stack: list[Any] = [expr]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif hasattr(n, "__dataclass_fields__") and not isinstance(n, A.SQLType):
            yield n
            stack.extend(getattr(n, f) for f in n.__dataclass_fields__)


def _columns_in(expr: A.Expr) -> set[str]:
    """The names of the columns an expression reads."""
    return {n.name for n in _nodes(expr) if isinstance(n, A.ColumnRef)}


def _constant_text(expr: A.Expr) -> bool:
    """Does a part of the expression compute on text constants alone?"""
    return any(
        not isinstance(n, A.Literal) and not _columns_in(n)
        and any(isinstance(m, A.Literal) and isinstance(m.value, str) for m in _nodes(n))
        for n in _nodes(expr)
    )  # fmt: skip


def _mixed(expr: A.Expr, columns: list[Column]) -> bool:
    """Does the expression compare a column with a constant of another family?"""
    families = {c.name: c.family for c in columns}
    for n in _nodes(expr):
        if isinstance(n, A.Binary) and n.op in COMPARING:
            operand, others = n.left, (n.right,)
        elif isinstance(n, A.InList):
            operand, others = n.operand, n.items
        elif isinstance(n, A.Func) and n.name in COMPARING and len(n.args) >= 2:
            operand, others = n.args[0], n.args[1:]  # from the dialect's operator library
        else:
            continue
        for left, right in ((operand, o) for o in others):
            for col, lit in ((left, right), (right, left)):
                if (isinstance(col, A.ColumnRef) and isinstance(lit, A.Literal)
                        and lit.value is not None and col.name in families
                        and family(lit.type) != families[col.name]):  # fmt: skip
                    return True
    return False


#: operators and library names that compare their first operand with the others
COMPARING = frozenset({"=", "<>", "!=", "<", "<=", ">", ">=", "<=>", "IN", "NOT IN", "BETWEEN",
                       "NOT BETWEEN"})  # fmt: skip


def _option_name(option: str) -> str:
    return option.split("=", 1)[0].split(" ", 1)[0]


def _key_columns(table: Table) -> set[str]:
    return {n for k in table.keys for n in k}


def _key(v: Any) -> Any:
    """The value as a key compares it: as every collation's equality might (case, accents,
    trailing spaces: NOCASE, _ci collations, PAD SPACE and CHAR(n))."""
    return fold(v) if isinstance(v, str) else v


def _literal(v: Any, t: A.SQLType) -> A.Literal:
    return A.Literal(v, A.NULLTYPE if v is None else t)
