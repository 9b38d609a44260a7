"""Database state: tables with constraints, rows with edge values, indexes, views, writes.

The generator mirrors every statement into its `Schema`, including which values each column
holds, and never emits a write that its own constraints would reject: a statement that
fails at setup tests nothing.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from fuzzer import ast as A
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


class State:
    def __init__(self, g: Generator) -> None:
        self.g = g
        self.rng: random.Random = g.rng
        self.caps = g.caps
        self.names = 0

    def keyable(self, c: Column) -> bool:
        """May this column be a key or an index column?"""
        return c.type.kind not in self.caps.unkeyed_kinds

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def database(self) -> list[A.Statement]:
        rng, opt = self.rng, self.g.options
        slots = self.slots()
        stmts: list[A.Statement] = []
        tables = [self.create_table(f"t{i}", slots) for i in range(rng.randint(*opt.tables))]
        stmts += [create for create, _ in tables]
        for _, table in tables:
            stmts += self.inserts(table)
        for _, table in tables:
            for _ in range(rng.randint(0, 2)):
                index = self.create_index(table)
                if index is not None:
                    stmts.append(index)
        for _, table in tables:
            update = self.update(table) if rng.random() < 0.3 else None
            if update is not None:
                stmts.append(update)
            if rng.random() < 0.15:
                stmts.append(self.delete(table))
        for _ in range(rng.randint(1, 2)):
            stmts.append(self.create_view())
        maintenance = self.g.caps.maintenance
        for _ in range(rng.randint(1, 2) if maintenance else 0):
            kind = rng.choice(list(maintenance))
            table = rng.choice(tables)[1].name if maintenance[kind] else None
            stmts.append(A.Maintenance(kind, table))
        return stmts

    def slots(self) -> list[tuple[str, str]]:
        """Column names and their families, shared by all tables: a name always has one
        family, so NATURAL joins and USING compare like with like."""
        fams = self.caps.families
        common = [f for f in COMMON_FAMILIES if f in fams]
        chosen = [common[0], common[1 % len(common)]]
        while len(chosen) < SLOTS:
            chosen.append(self.rng.choice(common if self.rng.random() < 0.6 else fams))
        return [(f"c{i}", f) for i, f in enumerate(chosen)]

    def create_table(self, name: str, slots: list[tuple[str, str]]) -> tuple[A.CreateTable, Table]:
        rng = self.rng
        picked = sorted(rng.sample(range(len(slots)), rng.randint(2, 5)))
        defs: list[A.ColumnDef] = []
        columns: list[Column] = []
        for i in picked:
            col_name, fam = slots[i]
            t = rng.choice(self.g.caps.column_types[fam])
            columns.append(Column(col_name, t))
        keyable = [c for c in columns if c.family in KEY_FAMILIES and self.keyable(c)]
        pk: tuple[str, ...] = ()
        unique_sets: list[tuple[str, ...]] = []
        r = rng.random()
        if keyable and r < 0.4:
            key = rng.choice(keyable)
            key.unique = key.not_null = True
        elif len(keyable) >= 2 and r < 0.55:
            pk = tuple(c.name for c in rng.sample(keyable, 2))
            unique_sets.append(pk)
        for c in columns:
            primary = c.unique and c.not_null
            if not primary and c in keyable and rng.random() < 0.15:
                c.unique = True
            if not primary and rng.random() < 0.15:
                c.not_null = True
            if c.name in pk:
                c.not_null = True
            defs.append(self.column_def(c, primary))
        create = A.CreateTable(name, tuple(defs), primary_key=pk)
        table = Table(name, columns)
        table.keys = [(c.name,) for c in columns if c.unique] + unique_sets
        self.g.schema.add(table)
        return create, table

    def column_def(self, c: Column, primary: bool) -> A.ColumnDef:
        rng = self.rng
        default = check = collate = None
        if c.family in ("int", "text", "numeric", "bool") and rng.random() < 0.15:
            default = A.Literal(self.g.values.value(c.type), c.type)
        if c.family in SENTINELS and rng.random() < 0.15:
            sentinel = A.Literal(SENTINELS[c.family], c.type)
            check = A.Binary("<>", A.ColumnRef(None, c.name), sentinel)
        if c.family == "text" and self.g.caps.collations and rng.random() < 0.2:
            collate = rng.choice(self.g.caps.collations)
        return A.ColumnDef(
            c.name, c.type, not_null=c.not_null and not primary, primary_key=primary,
            unique=c.unique and not primary, default=default, check=check, collate=collate,
        )  # fmt: skip

    def inserts(self, table: Table) -> list[A.Insert]:
        rng, opt = self.rng, self.g.options
        seen: dict[tuple[str, ...], set] = {key: set() for key in table.keys}
        rows: list[tuple[A.Expr, ...]] = []
        for _ in range(rng.randint(*opt.rows)):
            row = self.row(table, seen)
            if row is not None:
                rows.append(row)
        table.rows += len(rows)
        names = tuple(c.name for c in table.columns)
        cut = rng.randint(1, max(1, len(rows) - 1))
        batches = [rows[:cut], rows[cut:]] if rng.random() < 0.5 else [rows]
        return [A.Insert(table.name, names, tuple(b)) for b in batches if b]

    def row(self, table: Table, seen: dict[tuple[str, ...], set]) -> tuple[A.Expr, ...] | None:
        """One row that keeps every key unique; None when ten tries could not find one."""
        rng, values = self.rng, self.g.values
        for _ in range(10):
            row: dict[str, Any] = {}
            for c in table.columns:
                nullable = not c.not_null and c.name not in _key_columns(table)
                row[c.name] = None if nullable and rng.random() < 0.1 else values.value(c.type)
            keys = {k: tuple(_key(row[n]) for n in k) for k in seen}
            if all(None in key or key not in seen[k] for k, key in keys.items()):
                break
        else:
            return None
        for k, key in keys.items():
            seen[k].add(key)
        for c in table.columns:
            v = row[c.name]
            if v is not None:
                self.remember(c, v)
        return tuple(_literal(row[c.name], c.type) for c in table.columns)

    def remember(self, c: Column, v: Any) -> None:
        if v not in c.values:
            c.values.append(v)
        c.extreme = c.extreme or self.g.values.is_extreme(c.type, v)

    def create_index(self, table: Table) -> A.CreateIndex | None:
        rng = self.rng
        keyable = [c for c in table.columns if self.keyable(c) and c.family != "json"]
        if not keyable:
            return None
        cols = rng.sample(keyable, rng.randint(1, min(3, len(keyable))))
        exprs: list[A.Expr] = [A.ColumnRef(None, c.name) for c in cols]
        names = {c.name for c in cols}
        unique = rng.random() < 0.5 and any(
            set(k) <= names for k in table.keys
        )
        if self.g.caps.expression_index and not unique and rng.random() < 0.3:
            c = cols[0]
            if c.family == "int":  # `%`, not `+`: no overflow on the extreme values
                exprs[0] = A.Binary("%", exprs[0], A.Literal(7, A.INTEGER))
            elif c.family == "text":
                exprs[0] = A.Func("LOWER", (exprs[0],))
        where = None
        if self.g.caps.partial_index and rng.random() < 0.3:
            where = self.g.expressions.comparison(Ctx(self.table_scope(table)), 0)
        return A.CreateIndex(self.name("i"), table.name, tuple(exprs), unique, where)

    def table_scope(self, table: Table) -> Scope:
        return Scope([Col(None, c.name, c.type, tuple(c.values), c.extreme) for c in table.columns])

    def update(self, table: Table) -> A.Update | None:
        """SET one non-key column to a value: keys stay unique without reasoning about rows."""
        keys = _key_columns(table)
        free = [c for c in table.columns if c.name not in keys]
        if not free:
            return None
        where = self.g.expressions.comparison(Ctx(self.table_scope(table)), 0)
        c = self.rng.choice(free)
        v = self.g.values.value(c.type)
        self.remember(c, v)
        return A.Update(table.name, ((c.name, _literal(v, c.type)),), where)

    def delete(self, table: Table) -> A.Delete:
        c = self.rng.choice(table.columns)
        value = self.rng.choice(c.values) if c.values else self.g.values.value(c.type)
        where = A.Binary("=", A.ColumnRef(None, c.name), _literal(value, c.type))
        return A.Delete(table.name, where)

    def create_view(self) -> A.CreateView:
        q = self.g.queries
        q.env = list(self.g.schema.tables)
        with q.clauses.for_view():
            query, outs = q.select(max(self.g.options.max_depth - 1, 1))
        name = self.name("v")
        self.g.schema.add(
            Table(name, [Column(c.name, c.type, values=list(c.values), extreme=c.extreme)
                         for c in outs], view=True)
        )
        return A.CreateView(name, query, tuple(c.name for c in outs))


def _key_columns(table: Table) -> set[str]:
    return {n for k in table.keys for n in k}


def _key(v: Any) -> Any:
    """The value as a key compares it: case- and trailing-space-insensitively, to be safe
    under NOCASE collations, PAD SPACE and CHAR(n)."""
    return v.rstrip(" ").lower() if isinstance(v, str) else v


def _literal(v: Any, t: A.SQLType) -> A.Literal:
    return A.Literal(v, A.NULLTYPE if v is None else t)
