"""An oracle is one unit of change: a module outside sqlparity, registered by entry point,
works in `fuzz run`, `fuzz check`, `fuzz reduce` and `fuzz triage recheck` with no edit
anywhere else.

The plugin here is a tiny oracle, `where-true` (`SELECT ... WHERE TRUE` must return the rows of
the unfiltered query), and, to give it something to find, an SQLite whose `WHERE TRUE` is
broken. Both are registered through a dist-info folder on PYTHONPATH, as a package would be.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = '''
"""A tiny oracle from outside sqlparity: WHERE TRUE must not change a query's rows."""

from dataclasses import replace

from fuzzer import ast
from fuzzer.engines.sqlite import SQLiteEngine
from fuzzer.script import clauses
from oracles.base import Discrepancy, Oracle, Probe, rows_of
from oracles.compare import canonical_rows, jsonable, multisets_equal
from oracles.inputs import draw_check

TRUE = ast.Literal(True, ast.BOOLEAN)


def judge_rows(outcomes):
    whole, filtered = (canonical_rows(r.rows) for r in rows_of(outcomes))
    if multisets_equal(whole, filtered):
        return None
    return Discrepancy(jsonable(sorted(whole, key=repr)), jsonable(sorted(filtered, key=repr)),
                       f"{len(whole)} rows, with WHERE TRUE {len(filtered)}")


class WhereTrue(Oracle):
    name = "where-true"
    description = "A query's rows must not change when WHERE TRUE is added to it."
    judges = {"rows": judge_rows}

    def draw(self, generator, turn):
        select = replace(draw_check(generator).select, where=None, order_by=())
        queries = (self.render(select), self.render(replace(select, where=TRUE)))
        return [Probe(self.name, "rows", queries, about=select)]

    def from_text(self, sql):
        c = clauses(sql)
        if c is None or c.set_operation or c.limited or c.where is not None or c.from_ is None:
            return []
        end = c.from_[1]
        return [self.text_probe("rows", [sql, f"{sql[:end]} WHERE TRUE {sql[end:]}"], sql)]


class BrokenTrue(SQLiteEngine):
    """SQLite whose WHERE TRUE is WHERE FALSE: a bug for the oracle to find."""

    def _execute(self, sql):
        return super()._execute(sql.replace("WHERE TRUE", "WHERE FALSE"))
'''

ENTRY_POINTS = """\
[sqlparity.oracles]
where-true = where_true:WhereTrue

[sqlparity.engines]
sqlite-broken-true = where_true:BrokenTrue
"""

CASE = """\
CREATE TABLE t0 (c0 INTEGER, c1 TEXT);
INSERT INTO t0 VALUES (1, 'a'), (2, NULL), (NULL, 'b');
CREATE TABLE t1 (c0 INTEGER);
INSERT INTO t1 VALUES (7);
SELECT c0, c1 FROM t0 ORDER BY c0;
"""


@pytest.fixture
def plugin(tmp_path: Path) -> dict[str, str]:
    """The environment of a sqlparity with the plugin installed."""
    root = tmp_path / "plugin"
    info = root / "where_true-0.dist-info"
    info.mkdir(parents=True)
    (root / "where_true.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: where-true\nVersion: 0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}


def fuzz(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )  # fmt: skip


def test_a_plugin_oracle_is_offered_and_checks_a_users_query(plugin: dict, tmp_path: Path):
    case = tmp_path / "case.sql"
    case.write_text(CASE)
    offered = fuzz(plugin, tmp_path, "check", "--help").stdout
    assert "where-true" in re.sub(r"-\s+", "-", offered)  # help text wraps at hyphens
    broken = fuzz(plugin, tmp_path, "check", "--json", "--oracle", "where-true",
                  "-t", "sqlite-broken-true:", str(case))  # fmt: skip
    assert broken.returncode == 1, broken.stderr
    (found,) = json.loads(broken.stdout)["findings"]
    assert (found["oracle"], found["variant"]) == ("where-true", "rows")
    assert found["query"] == "SELECT c0, c1 FROM t0 ORDER BY c0"
    correct = fuzz(plugin, tmp_path, "check", "--json", "--oracle", "where-true", str(case))
    assert correct.returncode == 0, correct.stderr
    assert json.loads(correct.stdout)["checks"] == 1


def test_a_plugin_oracles_findings_from_fuzz_run_reduce_report_and_recheck(
    plugin: dict, tmp_path: Path
):
    store = str(tmp_path / "s.db")
    run = fuzz(plugin, tmp_path, "run", "-t", "sqlite-broken-true:", "--oracle", "where-true",
               "--workers", "1", "--seed", "3", "--checks", "6", "--checks-per-state", "6",
               "--no-reduce", "--json", "--store", store)  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["findings_new"] >= 1, summary
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT id, oracle FROM findings ORDER BY id").fetchall()
    assert {oracle for _, oracle in rows} == {"where-true"}
    first = str(rows[0][0])

    reduced = fuzz(plugin, tmp_path, "reduce", first, "--store", store,
                   "-t", "sqlite-broken-true:", "--json")  # fmt: skip
    assert reduced.returncode == 0, reduced.stderr
    result = json.loads(reduced.stdout)
    problem = result["problem"]  # the problem exactly: its direction, its differing columns
    assert problem.startswith("where-true/rows, fewer") and problem.endswith(" on sqlite"), result
    assert result["statements_after"] < result["statements_before"], result
    assert result["case_id"] is not None, result

    report = fuzz(plugin, tmp_path, "triage", "export", first, "--store", store)
    assert report.returncode == 0, report.stderr
    assert "when WHERE TRUE is added to it" in report.stdout

    still = fuzz(plugin, tmp_path, "triage", "recheck", "sqlite-broken-true:", "--store", store,
                 "--dry-run", "--id", first)  # fmt: skip
    assert still.returncode == 0, still.stderr
    assert f"#{first} reproduces" in still.stdout
    fixed = fuzz(plugin, tmp_path, "triage", "recheck", "sqlite:", "--store", store)
    assert fixed.returncode == 0, fixed.stderr
    assert f"#{first} fixed" in fixed.stdout
    assert f"marked {len(rows)} fixed" in fixed.stdout
