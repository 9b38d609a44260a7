"""diff/setup findings and the parity report.

A state whose setup one engine accepts and the other rejects is a finding of its own, listed
once per statement kind and feature, and the target's rejection turns the feature off. The
report rolls findings up by feature area. SQLite in-process serves as both engines; a target
statement is spelled wrong on purpose, as an engine that rejects it would see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuzzer import ast as A
from fuzzer.adaptive import Evidence
from fuzzer.cli import cli
from fuzzer.engines import Engine, connect
from fuzzer.generator import Generator, Options
from fuzzer.jobs.seeds import Position
from fuzzer.jobs.session import Session
from oracles.finding import EngineInfo, Finding
from oracles.pipeline import Setup
from triage.parity import areas_of, build
from triage.store import Store


@pytest.fixture
def engines() -> Iterator[tuple[Engine, Engine]]:
    with connect("sqlite:") as target, connect("sqlite:") as reference:
        yield target, reference


def _state(kind: type) -> tuple[list, list[str], int]:
    generator = Generator("sqlite", 3, Options(deterministic=True))
    statements = generator.database()
    text = [generator.render(s) for s in statements]
    return statements, text, next(i for i, s in enumerate(statements) if isinstance(s, kind))


def test_a_statement_the_target_rejects_is_one_finding_and_turns_its_feature_off(
    engines: tuple[Engine, Engine],
) -> None:
    target, reference = engines
    found: list[Finding] = []
    session = Session(target, ("diff",), seed=1, reference=reference, report=found.append)
    statements, text, n = _state(A.CreateTable)
    spelled = list(text)
    spelled[n] = text[n] + " NONSENSE"  # what the target cannot parse
    setup = Setup(spelled, text)
    assert session._build(setup) is False
    session._setup_split(statements, setup, Position(0, 0, -1))
    (finding,) = found
    assert (finding.oracle, finding.variant) == ("diff", "setup")
    assert "CreateTable" in finding.features and len(finding.features) == 2
    assert finding.setup == () and finding.queries == (spelled[n],)  # needs nothing before it
    assert finding.expected == {"rows": 0} and finding.actual["sqlstate"] == "42601"
    feature = finding.extra["feature"]
    assert feature in session.evidence.off and finding.extra["rejected_by"] == "target"
    assert session._comparable is False  # the state as the checks see it
    session._build(setup)
    session._setup_split(statements, setup, Position(0, 1, -1))
    assert len(found) == 1  # once per statement kind and feature


def test_a_statement_the_reference_rejects_is_reported_but_learns_nothing(
    engines: tuple[Engine, Engine],
) -> None:
    target, reference = engines
    found: list[Finding] = []
    session = Session(target, ("diff",), seed=1, reference=reference, report=found.append)
    statements, text, n = _state(A.CreateTable)
    spelled = list(text)
    spelled[n] = text[n] + " NONSENSE"
    setup = Setup(text, spelled)
    session._build(setup)
    session._setup_split(statements, setup, Position(0, 0, -1))
    (finding,) = found
    assert finding.extra["rejected_by"] == "reference" and not session.evidence.off
    assert finding.extra["reference_query"] == spelled[n]


def _finding(variant: str, features: tuple[str, ...], expected: object, actual: object) -> Finding:
    return Finding(
        oracle="diff", variant=variant,
        engine=EngineInfo("postgresql", "16.2", "postgres", "postgresql://t"),
        reference=EngineInfo("postgresql", "15.20", "postgres", "postgresql://r"),
        setup=(), queries=(f"SELECT {variant}",), expected=expected, actual=actual,
        features=features, title=f"diff {variant}",
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "triage.db"
    with Store.open(path) as s:
        s.record(_finding("error", ("Cast", "Func:ANY_VALUE", "Select"), {"sqlstate": "42883",
                          "error": "no function"}, {"rows": 1}))  # fmt: skip
        s.record(_finding("types", ("Select", "SetOp:EXCEPT"), ["integer"], ["bigint"]))
        s.record(_finding("setup", ("ColumnDef:uuid", "CreateTable"), {"rows": 0},
                          {"sqlstate": "42704", "error": "no type"}))  # fmt: skip
        evidence = Evidence()
        evidence.off.add("ColumnDef:uuid")
        s.save_learned("postgresql", "16.2", evidence)
    return path


def test_areas_of_findings(store: Path) -> None:
    with Store.open(store) as s:
        report = build(s, "postgresql")
    areas = {(a.area, a.name): a for a in report.areas}
    assert report.findings == 3
    assert {("function", "ANY_VALUE"), ("type", "integer -> bigint"), ("clause", "SetOp:EXCEPT"),
            ("type", "uuid"), ("statement", "CreateTable"), ("statement", "query"),
            ("sqlstate", "42 -> ok"), ("sqlstate", "ok -> 42")} <= set(areas)  # fmt: skip
    assert len(areas["statement", "query"].findings) == 2
    assert areas["function", "ANY_VALUE"].example.script.rstrip().endswith("SELECT error;")
    assert report.unsupported == {"postgresql 16.2": ["ColumnDef:uuid"]}


def test_report_command_formats_and_profile(store: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('[[accept]]\nvariant = "types"\nfeature = "SetOp:EXCEPT"\n'
                       'reason = "documented"\n')  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "--store", str(store), "--format", "json",
                                 "--profile", str(profile)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["findings"] == 3 and data["accepted"] == 1
    except_ = next(a for a in data["areas"] if a["name"] == "SetOp:EXCEPT")
    assert len(except_["accepted"]) == 1
    md = runner.invoke(cli, ["report", "--store", str(store)]).output
    assert "## Functions" in md and "`ANY_VALUE`" in md and "`ColumnDef:uuid`" in md
    page = tmp_path / "parity.html"
    html = runner.invoke(cli, ["report", "--store", str(store), "--format", "html",
                               "-o", str(page)])  # fmt: skip
    assert html.exit_code == 0 and page.read_text().startswith("<!doctype html>")
    assert "<script" not in page.read_text() and "http" not in page.read_text().split("<body>")[0]


def test_report_of_a_missing_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--store", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no triage store" in result.output
    assert "Traceback" not in result.output


def test_areas_of_a_stored_row_without_cases_needs_only_features() -> None:
    from triage.store import StoredFinding

    row = StoredFinding(1, "s", "diff", "rows", "postgresql", "16", "postgres", "postgresql",
                        "15", ("Binary:/", "Func:ROUND", "Join:LEFT"), "t", "new", "", None,
                        None, None, 1, "", "")  # fmt: skip
    assert areas_of(row) == {("operator", "/"), ("function", "ROUND"), ("clause", "Join:LEFT"),
                             ("statement", "query")}  # fmt: skip
