"""The isolation oracle's command line: `fuzz check --history`, its options' bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fuzzer.cli import cli
from oracles.isolation.history import APPEND, READ, History, Op, Txn
from oracles.isolation.profile import IsolationProfile

WRITE_SKEW = History([
    Txn(1, 1, [Op(READ, "x", ()), Op(READ, "y", ()), Op(APPEND, "x", 1)], "ok"),
    Txn(2, 2, [Op(READ, "x", ()), Op(READ, "y", ()), Op(APPEND, "y", 1)], "ok"),
    Txn(3, 3, [Op(READ, "x", (1,)), Op(READ, "y", (1,))], "ok"),
])  # fmt: skip


def fuzz(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="fuzz")


def test_check_history_finds_write_skew_against_serializable_only(tmp_path: Path):
    path = tmp_path / "h.json"
    WRITE_SKEW.save(path)
    found = fuzz("check", "--history", "--json", str(path))
    assert found.exit_code == 1, found.output
    [result] = json.loads(found.output)
    assert result["txns"] == 3 and result["anomalies"][0].startswith("G2-item: ")
    assert fuzz("check", "--history", "--expect", "snapshot", str(path)).exit_code == 0


def test_check_history_bad_input_is_one_line_and_exit_2(tmp_path: Path):
    path = tmp_path / "h.json"
    path.write_text('{"txns": [{"id": 1, "ops": [["append", "x", 1]]}, '
                    '{"id": 2, "ops": [["append", "x", 1]]}]}')  # fmt: skip
    result = fuzz("check", "--history", str(path))
    assert result.exit_code == 2 and "written twice" in result.output
    assert "Traceback" not in result.output


def test_run_refuses_the_isolation_oracle_on_an_in_process_engine(tmp_path: Path):
    result = fuzz("run", "--oracle", "isolation", "-t", "sqlite:", "--checks", "1",
                  "--store", str(tmp_path / "s.db"))  # fmt: skip
    assert result.exit_code == 2
    assert "isolation oracle speaks" in result.output
    assert not (tmp_path / "s.db").exists()


def test_a_bad_isolation_profile_is_bad_input(tmp_path: Path):
    bad = tmp_path / "p.toml"
    bad.write_text('[[accept]]\nanomaly = "G9"\nreason = "no such"\n')
    result = fuzz("run", "--oracle", "isolation", "--isolation-profile", str(bad))
    assert result.exit_code == 2 and "anomaly must be one of" in result.output


def test_the_shipped_mariadb_profile_accepts_lost_updates_at_repeatable_read_only():
    profile = IsolationProfile.named("mariadb")
    assert ("lost-update", None) in profile.accepted("mysql", "repeatable-read")
    assert profile.accepted("mysql", "serializable") == frozenset()
    assert profile.accepted("postgres", "repeatable-read") == frozenset()
