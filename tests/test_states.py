"""Database states on real engines: every construct the generator puts in a state parses under
its dialect's grammar and runs; the schema mirror holds every value the tables hold; the
collations are the server's, and the oracles' fold is coarser than each of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import open_engine

import grammar
from fuzzer import ast as A
from fuzzer.collations import available, fold
from fuzzer.dialects import Dialect, get
from fuzzer.engines import Engine
from fuzzer.generator import Generator, Options
from fuzzer.generator.state import FOLDED
from fuzzer.generator.values import TEXT_EDGES, TEXT_POOL

SEEDS = 120  # at most: the test stops once every construct was seen
MIN_SEEDS = 20


@pytest.fixture(scope="module", params=["sqlite", "duckdb", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    e = open_engine(request.param)
    yield e
    e.close()


def constructs(statement: A.Statement) -> set[str]:
    """The state constructs a statement uses, named as the capabilities name them."""
    found = {type(statement).__name__}
    if isinstance(statement, A.CreateTable):
        found |= {f"option {o}" for o in statement.options}
        found |= {f"persistence {statement.persistence}"} if statement.persistence else set()
        found |= {f"generated {c.generated.kind}" for c in statement.columns if c.generated}
        found |= {f"foreign key {fk.on_delete or ''}" for fk in statement.foreign_keys}
        found |= {"default expression" for c in statement.columns
                  if c.default is not None and not isinstance(c.default, A.Literal)}  # fmt: skip
        if statement.partition_by is not None:
            found.add(f"partition {statement.partition_by.kind}")
    elif isinstance(statement, A.CreateIndex):
        found |= {f"method {statement.method}"} if statement.method else set()
        for item in statement.exprs:
            if isinstance(item, A.IndexItem):
                found |= {"collated key"} if item.collate else set()
                found |= {"prefix"} if item.prefix else set()
                found |= {"ordered key"} if item.descending is not None else set()
                found |= {"expression key"} if not isinstance(item.expr, A.ColumnRef) else set()
    elif isinstance(statement, A.Insert) and statement.conflict is not None:
        found.add(f"upsert {statement.conflict.form}")
    return found


def expected(dialect: Dialect) -> set[str]:
    """What the dialect's capabilities promise a state will use, sooner or later."""
    caps = Generator(dialect, 0, Options(deterministic=True)).caps
    want = {"CreateTable", "Insert", "InsertSelect", "CreateIndex", "Update", "Delete"}
    want |= {f"option {o}" for o in caps.table_options}
    want |= {f"option ENGINE={e}" for e in caps.storage_engines}
    want |= {f"persistence {p}" for p in caps.persistence}
    want |= {f"generated {k}" for k in caps.generated_columns}
    want |= {f"foreign key {a}" for a in caps.foreign_keys}
    want |= {f"partition {k}" for k in caps.partitioning}
    want |= {f"method {m}" for m in caps.index_methods}
    want |= {f"upsert {f}" for f in caps.upserts}
    want |= {"collated key"} if caps.index_collate else set()
    want |= {"prefix"} if caps.index_prefix else set()
    want |= {"expression key"} if caps.expression_index else set()
    want |= {"CreateStatistics"} if caps.statistics else set()
    want |= {"SetStatistics"} if caps.set_statistics else set()
    want |= {"Setting"} if caps.settings else set()
    want |= {"CreatePartition"} if caps.partition_statements else set()
    return want | {"Analyze", "ordered key", "default expression"}


def test_every_state_construct_parses_and_runs_on_its_engine(engine: Engine) -> None:
    dialect = get(engine.dialect)
    parser = grammar.parser(engine.dialect)
    seen: set[str] = set()
    want = expected(dialect)
    for seed in range(SEEDS):
        if seed >= MIN_SEEDS and want <= seen:
            break
        engine.reset()
        g = Generator(dialect, seed, Options(deterministic=True))
        for statement in g.database():
            sql = g.render(statement)
            parser.parse(sql)
            outcome = engine.execute(sql)
            if isinstance(statement, A.CreateView):  # a query of the query generator's
                continue
            assert outcome.ok, f"seed {seed}: {sql}\n-> {outcome.message}"
            seen |= constructs(statement)
    assert want - seen == set()


def test_the_schema_mirror_holds_every_value_the_tables_hold(engine: Engine) -> None:
    """Oracles and constants rely on `Column.values`: after the writes of a state (upserts,
    UPDATEs of several columns, large inserts), each integer and unbounded text column holds
    only values the mirror knows."""
    for seed in range(12):
        engine.reset()
        g = Generator(engine.dialect, seed, Options(deterministic=True))
        for statement in g.database():
            outcome = engine.execute(g.render(statement))
            assert outcome.ok or isinstance(statement, A.CreateView), outcome.message
        for table in g.schema.base_tables:
            for c in table.columns:
                if c.generated or not (c.family == "int" or c.type.kind in ("text", "varchar")):
                    continue
                query = (
                    f"SELECT DISTINCT {g.dialect.ident(c.name)} FROM {g.dialect.ident(table.name)}"
                )
                outcome = engine.execute(query)
                assert outcome.ok, outcome.message
                held = {v for (v,) in outcome.rows if v is not None}  # type: ignore[union-attr]
                known = {fold(v) if isinstance(v, str) else v for v in c.values}
                unknown = {v for v in held if (fold(v) if isinstance(v, str) else v) not in known}
                assert not unknown, f"seed {seed}: {table.name}.{c.name} holds {unknown}"


def test_declared_collations_are_on_the_server_and_a_session_keeps_only_those(
    engine: Engine,
) -> None:
    dialect = get(engine.dialect)
    names = available(engine, dialect.collation_query)
    assert names is not None
    assert set(dialect.capabilities.collations) <= set(names)
    only = dialect.capabilities.collations[-1:]
    caps = Generator(dialect, 0, Options(collations=(*only, "no-such-collation"))).caps
    assert caps.collations == only


def test_equal_strings_under_every_declared_collation_fold_alike(engine: Engine) -> None:
    """DISTINCT and GROUP BY may keep any spelling of equal strings: the oracles compare them
    after `fold`, so every pair a collation makes equal must fold to one string."""
    dialect = get(engine.dialect)
    strings = list(dict.fromkeys((*FOLDED, *TEXT_POOL, *TEXT_EDGES)))
    for collation in dialect.capabilities.collations:
        codec = next(
            (c for p, c in dialect.capabilities.collation_codecs.items()
             if collation.startswith(p)), None,
        )  # fmt: skip
        values = [s for s in strings if codec is None or _encodes(s, codec)]
        rows = " UNION ALL ".join(
            f"SELECT {i} AS i, {_text(dialect, v, codec)} AS v" for i, v in enumerate(values)
        )
        collate = "COLLATE " + dialect.collate_clause(collation).split("COLLATE ", 1)[1]
        outcome = engine.execute(
            f"SELECT a.i, b.i FROM ({rows}) AS a, ({rows}) AS b"
            f" WHERE a.i < b.i AND (a.v {collate}) = b.v"
        )
        assert outcome.ok, outcome.message
        pairs = [(values[i], values[j]) for i, j in outcome.rows]  # type: ignore[union-attr]
        assert [(a, b) for a, b in pairs if fold(a) != fold(b)] == [], collation


def _encodes(s: str, codec: str) -> bool:
    try:
        s.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _text(dialect: Dialect, s: str, codec: str | None) -> str:
    return f"CONVERT({dialect.string(s)} USING latin1)" if codec else dialect.string(s)


def test_states_replay_exactly_from_their_seed() -> None:
    """A seed is the whole state: the same statements, however often it is generated."""
    for dialect in ("sqlite", "duckdb", "postgres", "mysql"):
        for seed in range(5):
            runs = []
            for _ in range(2):
                g = Generator(dialect, seed, Options(deterministic=True))
                runs.append([g.render(s) for s in g.database()])
            assert runs[0] == runs[1]


def test_portable_states_stay_plain() -> None:
    """The differential compares two engines' answers over one state: no construct only one
    of them has."""
    plain = {"CreateTable", "Insert", "InsertSelect", "CreateIndex", "Update", "Delete",
             "CreateView", "Maintenance", "Analyze", "default expression"}  # fmt: skip
    for seed in range(20):
        for statement in Generator("sqlite", seed, Options(portable=True)).database():
            assert constructs(statement) <= plain, statement
            if isinstance(statement, A.CreateTable):
                assert all(c.collate is None for c in statement.columns)
