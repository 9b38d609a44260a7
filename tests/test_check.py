"""`fuzz check` as a user runs it, on real engines."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
CREATE TABLE t0 (c0 INTEGER, c1 TEXT);
INSERT INTO t0 VALUES (1, 'a'), (2, NULL), (NULL, 'b'), (3, 'a');
SELECT c0, c1 FROM t0 WHERE c0 > 1;
SELECT DISTINCT c1 FROM t0 WHERE c1 LIKE 'a%';
SELECT SUM(c0) FROM t0 WHERE c1 IS NOT NULL;
SELECT c1, COUNT(*) FROM t0 GROUP BY c1 HAVING COUNT(*) > 1;
"""


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )  # fmt: skip


@pytest.fixture
def case(tmp_path: Path) -> Path:
    path = tmp_path / "case.sql"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("target", ["sqlite:", "duckdb:"])
def test_a_correct_engine_passes(case: Path, target: str):
    result = fuzz("check", "--json", "--target", target, str(case), cwd=case.parent)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == [] and report["checks"] >= 6


def test_the_differential_reports_a_real_divergence_and_profiles_silence_it(tmp_path: Path):
    # Integer division: SQLite truncates (1 / 2 = 0), DuckDB does not (0.5). Documented, real.
    case = tmp_path / "division.sql"
    case.write_text("CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (3);\n"
                    "SELECT a / 2 FROM t WHERE a > 0;\n")  # fmt: skip
    args = ("check", "--json", "--oracle", "diff", "--reference", "sqlite:", "--target", "duckdb:")
    result = fuzz(*args, str(case), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["oracle"] == "diff" and finding["variant"] == "rows"
    assert finding["engine"] == "duckdb" and finding["engine_version"]
    assert finding["expected"] == [[0], [1]] and finding["actual"] == [[0.5], [1.5]]
    assert len(finding["signature"]) == 16
    profile = tmp_path / "duckdb.toml"
    profile.write_text('[[accept]]\nvariant = "rows"\nfeature = "op:/"\nreason = "true division"\n')
    quiet = fuzz(*args, "--profile", str(profile), str(case), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path):
    (tmp_path / "empty.sql").write_text("-- nothing here\n")
    (tmp_path / "quote.sql").write_text("SELECT 'unterminated;\n")
    (tmp_path / "prose.sql").write_text("Dear maintainer, this is not SQL.\nThanks.\n")
    for name in ("empty.sql", "quote.sql", "prose.sql", "missing.sql"):
        result = fuzz("check", name, cwd=tmp_path)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    unreachable = fuzz("check", "--target", "postgresql://x@127.0.0.1:1/x", "empty.sql",
                       cwd=tmp_path)  # fmt: skip
    assert unreachable.returncode == 2


def test_a_script_whose_checks_cannot_run_fails_and_names_the_failed_statements(tmp_path: Path):
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE t0 (c0 INT);\nINSERT INTO t0 VALUES (1);\n"
                      "SELECT c0 FROM t1 WHERE c0 > 0;\n")  # fmt: skip
    store = tmp_path / "store.db"
    for target in ("sqlite:", "duckdb:"):
        result = fuzz("check", "--target", target, "--store", str(store), "broken.sql",
                      cwd=tmp_path)  # fmt: skip
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("fuzz: error: broken.sql: no check could run"), line
        assert "`SELECT c0 FROM t1 WHERE c0 > 0` failed on" in line and "t1" in line
        assert "--allow-errors" in line
        allowed = fuzz("check", "--target", target, "--allow-errors", "broken.sql", cwd=tmp_path)
        assert allowed.returncode == 0, allowed.stderr
    with sqlite3.connect(store) as conn:  # bad input records nothing
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_failed_setup_statement_is_named_first(tmp_path: Path):
    (tmp_path / "typo.sql").write_text("CREATE TABLE t0 (c0 INT);\nINSERT INTO t0 VALUES (1);\n"
                                       "INSERT INTO t0 VALUES (1, 2, 3);\n"
                                       "SELECT c0 FROM t0 WHERE c0 > (SELECT 1, 2);\n")  # fmt: skip
    result = fuzz("check", "typo.sql", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "`INSERT INTO t0 VALUES (1, 2, 3)` failed on sqlite:" in result.stderr
    assert "`SELECT c0 FROM t0 WHERE c0 > (SELECT 1, 2)` failed on sqlite:" in result.stderr


def test_in_a_folder_one_broken_script_fails_the_run_and_the_others_are_still_checked(
    tmp_path: Path,
):
    (tmp_path / "a-good.sql").write_text(SCRIPT)
    (tmp_path / "b-broken.sql").write_text("SELECT c0 FROM nowhere WHERE c0 > 0;\n")
    result = fuzz("check", "--json", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "b-broken.sql: no check could run" in result.stderr
    assert json.loads(result.stdout)["checks"] >= 6  # the good one ran


def test_checks_skipped_on_purpose_are_no_error(tmp_path: Path):
    # TLP does not judge MIN/MAX over values of several types (their order is the engine's):
    # no statement failed, so this is not bad input.
    mixed = "CREATE TABLE t0 (c0);\nINSERT INTO t0 VALUES (1), ('a');\n"
    (tmp_path / "mixed.sql").write_text(mixed + "SELECT MAX(c0) FROM t0 WHERE c0 IS NOT NULL;\n")
    result = fuzz("check", "--oracle", "tlp", "mixed.sql", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_differential_failing_on_one_side_is_a_finding_on_both_bad_input(tmp_path: Path):
    (tmp_path / "one.sql").write_text("CREATE TABLE t0 (c0 INTEGER);\nINSERT INTO t0 VALUES (1);\n"
                                      "SELECT zeroblob(c0) FROM t0 WHERE c0 > 0;\n")  # fmt: skip
    (tmp_path / "both.sql").write_text("CREATE TABLE t0 (c0 INTEGER);\n"
                                       "SELECT c0 FROM t1 WHERE c0 > 0;\n")  # fmt: skip
    args = ("check", "--json", "--oracle", "diff", "--target", "duckdb:", "--reference", "sqlite:")
    one = fuzz(*args, "one.sql", cwd=tmp_path)  # DuckDB has no zeroblob(): a divergence
    assert one.returncode == 1, one.stderr
    assert json.loads(one.stdout)["findings"][0]["variant"] == "error"
    both = fuzz(*args, "both.sql", cwd=tmp_path)
    assert both.returncode == 2, both.stderr
    assert "failed on duckdb" in both.stderr and "failed on sqlite" in both.stderr


def test_a_runtime_error_on_one_side_of_two_dialects_is_no_finding(tmp_path: Path):
    """Integer overflow is an error on DuckDB and a float on SQLite: each dialect's rule, not
    a divergence, even over one row (runtime errors compare only within one dialect)."""
    (tmp_path / "overflow.sql").write_text("SELECT 9223372036854775807 + 1;\n")
    args = ("check", "--json", "--oracle", "diff", "--target", "duckdb:", "--reference", "sqlite:")
    checked = fuzz(*args, "--allow-errors", "overflow.sql", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["findings"] == []


def test_junit_and_sarif_reports_and_known_bugs_do_not_fail(tmp_path: Path):
    """One test case per script; findings as SARIF results; a known bug's signature, listed
    in a project file, keeps the check green and its SARIF result suppressed."""
    import xml.etree.ElementTree as ET

    division = tmp_path / "division.sql"
    division.write_text("CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (3);\n"
                        "SELECT a / 2 FROM t WHERE a > 0;\n")  # fmt: skip
    clean = tmp_path / "clean.sql"
    clean.write_text(SCRIPT)
    junit, sarif = tmp_path / "out.xml", tmp_path / "out.sarif"
    args = ("check", "--json", "--oracle", "diff", "--reference", "sqlite:", "--target", "duckdb:",
            "--junit", str(junit), "--sarif", str(sarif), str(division), str(clean))  # fmt: skip
    result = fuzz(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]

    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuites" and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {str(division), str(clean)}
    (failure,) = cases[str(division)].findall("failure")
    assert failure.get("type") == "diff/rows" and finding["signature"] in failure.text
    assert cases[str(clean)].findall("failure") == []

    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "sqlparity"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["diff/rows"]
    (res,) = run["results"]
    assert res["ruleId"] == "diff/rows" and res["level"] == "error" and "suppressions" not in res
    assert res["partialFingerprints"]["sqlparitySignature/v1"] == finding["signature"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(division)

    known = tmp_path / "known-bugs.txt"
    known.write_text(f"# integer division truncates on SQLite\n{finding['signature']}\n")
    quiet = fuzz(*args, "--known", str(known), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert ET.parse(junit).getroot().get("failures") == "0"
    (res,) = json.loads(sarif.read_text())["runs"][0]["results"]
    assert res["suppressions"][0]["kind"] == "external"
    (known.parent / "bad.txt").write_text("not a signature\n")
    bad = fuzz(*args, "--known", str(known.parent / "bad.txt"), cwd=tmp_path)
    assert bad.returncode == 2 and "bad.txt:1" in bad.stderr and "Traceback" not in bad.stderr
