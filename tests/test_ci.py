"""CI outputs: JUnit XML and SARIF 2.1.0 structure, and known bugs kept out of failures."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_triage_store import BUG_A, BUG_B, bug

from fuzzer.ci import Checked, Known, KnownBugsError, sarif, unknown, write_junit
from triage.store import Store


def test_known_bugs_come_from_a_project_file_and_from_triaged_findings(tmp_path: Path) -> None:
    listed, triaged, fixed, fresh = bug(BUG_A), bug(BUG_B), bug(("abs",)), bug(("lower",))
    path = tmp_path / "known.txt"
    path.write_text(f"# a bug we reported upstream\n{listed.signature}  # issue 12\n\n")
    store_path = tmp_path / "s.db"
    with Store.open(store_path) as store:
        for hit in (triaged, fixed, fresh):
            store.record(hit)
        store.mark(1, "reported", url="https://bugs.example/1")
        store.mark(2, "fixed", fixed_in="3.46.0")
    known = Known.load(path, store_path)
    assert "known.txt" in (known.reason(listed) or "")
    assert "reported" in (known.reason(triaged) or "")
    assert known.reason(fixed) is None  # seen again after a fix: a regression
    assert unknown([listed, triaged, fixed, fresh], known) == [fixed, fresh]

    bad = tmp_path / "bad.txt"
    bad.write_text("0123456789abcdef\nnot-a-signature\n")
    with pytest.raises(KnownBugsError, match=r"bad\.txt:2"):
        Known.load(bad)


def test_junit_has_one_case_per_target_and_fails_only_on_unknown_findings(tmp_path: Path) -> None:
    listed, fresh = bug(BUG_A), bug(BUG_B)
    known = Known({listed.signature: "listed"})
    cases = [Checked("sqlite:", [listed, fresh], 1.5), Checked("duckdb:", [listed], 0.5),
             Checked("broken.sql", error="no check could run")]  # fmt: skip
    path = tmp_path / "junit.xml"
    write_junit(path, "fuzz run", cases, known)
    root = ET.parse(path).getroot()
    (suite,) = root.findall("testsuite")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    first, second, third = suite.findall("testcase")
    assert [c.get("name") for c in (first, second, third)] == ["sqlite:", "duckdb:", "broken.sql"]
    (failure,) = first.findall("failure")
    assert failure.get("type") == "tlp/where" and fresh.signature in (failure.text or "")
    assert second.findall("failure") == [] and "listed" in second.findtext("system-out", "")
    assert third.find("error").get("message") == "no check could run"


def test_sarif_is_2_1_0_with_rules_results_and_suppressed_known_bugs() -> None:
    listed, fresh = bug(BUG_A), bug(BUG_B, oracle="norec")
    log = sarif([listed, fresh], Known({listed.signature: "listed in known.txt"}), "1.0")
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sqlparity" and driver["version"] == "1.0"
    assert [r["id"] for r in driver["rules"]] == ["tlp/where", "norec/where"]
    assert all(r["shortDescription"]["text"] for r in driver["rules"])
    first, second = run["results"]
    assert (first["ruleIndex"], second["ruleIndex"]) == (0, 1)
    assert first["suppressions"] == [{"kind": "external", "justification": "listed in known.txt"}]
    assert "suppressions" not in second and second["message"]["text"]
    assert second["partialFingerprints"]["sqlparitySignature/v1"] == fresh.signature
    json.dumps(log)  # serialisable as it is


def test_fuzz_run_writes_both_reports(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fuzzer", "run", "-t", "sqlite:", "-t", "duckdb:", "--checks", "20",
         "--workers", "1", "--seed", "5", "--no-reduce", "--json", "--store", "s.db",
         "--junit", "j.xml", "--sarif", "s.sarif", "--fail-on-finding"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert [c.get("name") for c in root.iter("testcase")] == ["sqlite:", "duckdb:"]
    log = json.loads((tmp_path / "s.sarif").read_text())
    assert log["version"] == "2.1.0"
    failing = int(root.get("failures", "0"))
    assert (done.returncode == 1) == bool(failing) == bool(log["runs"][0]["results"])
