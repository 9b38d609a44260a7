"""Known logic bugs: `fuzz check` must flag each in the engine version that has it.

`corpus/known-bugs/` holds public bugs reported by others, `corpus/found/` bugs sqlparity
found itself. Each case names, in its header, the engine version that shows the bug
and the oracle(s) that must flag it. Old DuckDB and SQLite (apsw) releases are installed from
PyPI into cached virtual environments (`$SQLPARITY_CACHE`, default `~/.cache/sqlparity`);
sqlparity runs there from this checkout's packages. If an oracle stops flagging a case, a
test here fails. On today's engines, the fixed bugs must not be flagged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import open_engine
from known_bugs import Case, cases, check

CASES = cases()


def flagged(python: Path | str, case: Case, tmp: Path) -> tuple[int, set[str]]:
    chosen = ",".join(sorted({"tlp", "norec"} | case.oracles))
    code, findings = check(python, case.target, case.path, chosen, tmp)
    return code, {f["oracle"] for f in findings}


def test_every_case_names_its_version_and_oracle():
    assert len(CASES) >= 5
    for case in CASES:
        assert case.oracles, case.path.name
        assert case.version[0].isdigit(), case.path.name


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_the_buggy_version_is_flagged_by_its_oracle(case: Case, tmp_path: Path):
    if not case.buggy.local:
        python = case.buggy.python()
    else:
        engine = open_engine("mysql")
        found = engine.version
        engine.close()
        if not found.startswith(case.version):
            pytest.skip(f"{case.path.name} is about {case.engine} {case.version}, not {found}")
        python = sys.executable
    code, oracles = flagged(python, case, tmp_path)
    assert code == 1, f"{case.path.name}: not flagged on {case.engine} {case.version}"
    assert case.oracles <= oracles, (case.oracles, oracles)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not c.buggy.local],
    ids=[c.path.stem for c in CASES if not c.buggy.local],
)
def test_todays_engines_are_not_flagged(case: Case, tmp_path: Path):
    code, oracles = flagged(sys.executable, case, tmp_path)
    assert code == 0 and not oracles, f"{case.path.name} flagged on today's {case.engine}"
