"""`fuzz bisect`: the search itself (pure), and on a corpus bug over real DuckDB releases.

The end-to-end tests use DuckDB 0.10.0 to 0.10.2 (installed into the engine releases' cache
on first use, about 3 s each here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzer.commands.bisect import Bisection, Unavailable, header_oracles, parse_range

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "known-bugs"
CASE = CORPUS / "duckdb-union-empty-branch-filter.sql"
RELEASES = [f"1.{n}.0" for n in range(10)]


def fuzz(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    wide = {**os.environ, "COLUMNS": "250"}  # rich wraps `triage show` to the terminal
    return subprocess.run([sys.executable, "-m", "fuzzer", *args], capture_output=True,
                          text=True, cwd=cwd, env=wide, timeout=600)  # fmt: skip


def searched(buggy: range, seen_on: str | None, missing: set[int] = frozenset()) -> Bisection:
    def test(release: str) -> bool:
        minor = int(release.split(".")[1])
        if minor in missing:
            raise Unavailable("no wheel")
        return minor in buggy

    bisection = Bisection(test)
    bisection.run(RELEASES, seen_on)
    return bisection


@pytest.mark.parametrize("seen_on", ["1.5.0", None, "1.9.0"])
def test_the_search_finds_both_edges_of_the_buggy_releases(seen_on: str | None):
    found = searched(range(3, 7), seen_on)
    assert (found.regressed_in, found.fixed_in) == ("1.3.0", "1.7.0")
    assert len(found.verdicts) <= 8  # a search, not every release


def test_releases_that_cannot_be_installed_are_left_out():
    found = searched(range(3, 7), "1.4.0", missing={3, 7})
    assert (found.regressed_in, found.fixed_in) == ("1.4.0", "1.8.0")
    assert found.verdicts["1.7.0"].startswith("not tested")


def test_a_bug_still_open_or_older_than_the_range_has_an_open_end():
    assert (searched(range(5, 99), None).fixed_in, searched(range(0, 3), None).regressed_in) == (
        None,
        "1.0.0",
    )
    never = searched(range(0), None)
    assert (never.regressed_in, never.fixed_in) == (None, None)


def test_a_range_and_a_case_header_choose_releases_and_oracles():
    assert parse_range("1.2.0..1.4.0", RELEASES) == ["1.2.0", "1.3.0", "1.4.0"]
    assert parse_range("..1.1.0", RELEASES) == ["1.0.0", "1.1.0"]
    assert header_oracles(CASE) == ("tlp", "norec", "dqp")


def test_bisect_on_a_corpus_bug_finds_the_release_that_fixed_it(tmp_path: Path):
    result = fuzz("bisect", str(CASE), "--range", "0.10.0..0.10.2", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["regressed_in"], answer["fixed_in"]) == ("0.10.0", "0.10.2")
    assert answer["verdicts"]["0.10.1"] == "reproduces"


def test_a_bisected_finding_keeps_its_range_for_show_and_the_report(tmp_path: Path):
    store = str(tmp_path / "s.db")
    checked = fuzz("check", "--oracle", "tlp", "-t", "duckdb:?version=0.10.1", "--store", store,
                   str(CASE), cwd=tmp_path)  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    result = fuzz("bisect", "1", "--store", store, "--range", "0.10.0..0.10.2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fixed in 0.10.2" in result.stdout
    shown = fuzz("triage", "show", "1", "--store", store, cwd=tmp_path)
    assert "regressed in 0.10.0 (or before" in shown.stdout and "fixed in 0.10.2" in shown.stdout
    report = fuzz("triage", "export", "1", "--store", store, cwd=tmp_path)
    assert "**Releases:** regressed in 0.10.0" in report.stdout, report.stdout + report.stderr
    bad = fuzz("bisect", "1", "--store", store, "--range", "nonsense", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
