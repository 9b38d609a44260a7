"""Known logic bugs: `fuzz check` must flag each in the engine version that has it.

`corpus/known-bugs/` holds public bugs reported by others, `corpus/found/` bugs sqlparity
found itself. Each case names, in its header, the engine version that shows the bug
and the oracle(s) that must flag it. Old DuckDB and SQLite (apsw) releases are installed from
PyPI, once, into the engine releases' cache (fuzzer.engines.releases) and run through pinned
engine URLs (`duckdb:?version=1.1.0`). If an oracle stops flagging a case, a
test here fails. On today's engines, the fixed bugs must not be flagged.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import open_engine
from known_bugs import Case, cases, check

CASES = cases()


def oracles_of(case: Case) -> str:
    return ",".join(sorted({"tlp", "norec"} | case.oracles))


class Checks:
    """`fuzz check` of a group of cases (one release, one oracle list) in one process, once: a
    process per case was most of this file's time. Each test then reads its own case's findings."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.done: dict[tuple[str, str, str], dict[str, set[str]]] = {}

    def flagging(
        self, python: Path | str, case: Case, group: list[Case], target: str | None = None
    ) -> set[str]:
        """The oracles that flag `case` when its group is checked under `python` on `target`
        (default: the case's buggy release)."""
        target = target or case.target
        key = (str(python), target, oracles_of(case))
        if key not in self.done:
            scripts = [c.path for c in group if oracles_of(c) == key[2]]
            found = check(python, target, scripts, key[2], self.tmp.mktemp("check"))
            by_source: dict[str, set[str]] = defaultdict(set)
            for finding in found:
                by_source[finding["source"]].add(finding["oracle"])
            self.done[key] = by_source
        return self.done[key].get(str(case.path), set())


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> Checks:
    return Checks(tmp_path_factory)


def test_every_case_names_its_version_and_oracle():
    assert len(CASES) >= 5
    for case in CASES:
        assert case.oracles, case.path.name
        assert case.version[0].isdigit(), case.path.name


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_the_buggy_version_is_flagged_by_its_oracle(case: Case, checks: Checks):
    if not case.buggy.local:
        python = case.buggy.python()
    else:
        engine = open_engine("mysql")
        found = engine.version
        engine.close()
        if not found.startswith(case.version):
            pytest.skip(f"{case.path.name} is about {case.engine} {case.version}, not {found}")
        python = sys.executable
    oracles = checks.flagging(python, case, [c for c in CASES if c.buggy == case.buggy])
    assert oracles, f"{case.path.name}: not flagged on {case.engine} {case.version}"
    assert case.oracles <= oracles, (case.oracles, oracles)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not c.buggy.local],
    ids=[c.path.stem for c in CASES if not c.buggy.local],
)
def test_todays_engines_are_not_flagged(case: Case, checks: Checks):
    today = [c for c in CASES if not c.buggy.local and c.buggy.current == case.buggy.current]
    oracles = checks.flagging(sys.executable, case, today, case.buggy.current)
    assert not oracles, f"{case.path.name} flagged by {sorted(oracles)} on today's {case.engine}"
