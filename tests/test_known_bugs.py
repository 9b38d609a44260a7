"""Known logic bugs: `fuzz check` must flag each in the engine version that has it.

`corpus/known-bugs/` holds public bugs reported by others, `corpus/found/` bugs sqlparity
found itself. Each case names, in its header, the engine version that shows the bug
and the oracle(s) that must flag it. Old DuckDB and SQLite (apsw) releases are installed from
PyPI into cached virtual environments (`$SQLPARITY_CACHE`, default `~/.cache/sqlparity`);
sqlparity runs there from this checkout's packages. If an oracle stops flagging a case, a
test here fails. On today's engines, the fixed bugs must not be flagged.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MYSQL_URL, open_engine

import fuzzer
import grammar
import oracles
import triage

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CACHE = Path(os.environ.get("SQLPARITY_CACHE", Path.home() / ".cache" / "sqlparity"))
#: What sqlparity itself needs in an old engine's environment (the engine is pinned apart).
RUNTIME = ["click", "rich", "sqlite-utils", "lark", "hypothesis"]


@dataclass(frozen=True)
class Case:
    path: Path
    engine: str  # duckdb, sqlite, mariadb
    version: str
    pip: tuple[str, ...]  # what installs the buggy version; empty for a server
    target: str
    oracles: frozenset[str]

    @classmethod
    def read(cls, path: Path) -> Case:
        header = dict(re.findall(r"^--\s*([\w-]+):\s*(.*)$", path.read_text(), re.MULTILINE))
        engine, version = header["engine"].split()[:2]
        named = re.sub(r"\([^)]*\)", "", header["oracle"])
        chosen = frozenset(re.findall(r"\b(tlp|norec|dqp)\b", named.lower()))
        if engine == "duckdb":
            pip = (f"duckdb=={version}", *(["numpy<2"] if version.startswith("0.6") else []))
            return cls(path, engine, version, pip, "duckdb:", chosen)
        if engine == "sqlite":
            spec = re.search(r"apsw==[\d.]+", header["engine"])
            assert spec, f"{path.name}: a SQLite case names its apsw release"
            return cls(path, engine, version, (spec.group(),), "sqlite+apsw:", chosen)
        return cls(path, engine, version, (), MYSQL_URL, chosen)


CASES = [
    Case.read(p)
    for folder in ("known-bugs", "found")
    for p in sorted((CORPUS / folder).glob("*.sql"))
]


def environment(pip: tuple[str, ...]) -> Path:
    """A cached virtual environment with one old engine release and sqlparity's runtime."""
    home = CACHE / "known-bugs" / "-".join(re.sub(r"[^\w.]+", "_", p) for p in pip)
    python = home / "bin" / "python"
    if not (home / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *pip, *RUNTIME],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        (home / ".ready").touch()
    return python


def sources(tmp: Path) -> Path:
    """A folder holding just sqlparity's packages, for PYTHONPATH in another environment."""
    root = tmp / "src"
    root.mkdir(exist_ok=True)
    for package in (fuzzer, oracles, triage, grammar):
        link = root / package.__name__
        if not link.exists():
            link.symlink_to(Path(package.__file__).parent)
    return root


def check(python: str, case: Case, tmp: Path) -> tuple[int, set[str]]:
    chosen = ",".join(sorted({"tlp", "norec"} | case.oracles))
    env = {**os.environ, "PYTHONPATH": str(sources(tmp))}
    result = subprocess.run(
        [python, "-m", "fuzzer", "check", "--json", "--oracle", chosen,
         "--target", case.target, str(case.path)],
        capture_output=True, text=True, env=env, cwd=tmp, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, {f["oracle"] for f in json.loads(result.stdout)["findings"]}


def test_every_case_names_its_version_and_oracle():
    assert len(CASES) >= 5
    for case in CASES:
        assert case.oracles, case.path.name
        assert case.version[0].isdigit(), case.path.name


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_the_buggy_version_is_flagged_by_its_oracle(case: Case, tmp_path: Path):
    if case.pip:
        python = str(environment(case.pip))
    else:
        engine = open_engine("mysql")
        found = engine.version
        engine.close()
        if not found.startswith(case.version):
            pytest.skip(f"{case.path.name} is about {case.engine} {case.version}, not {found}")
        python = sys.executable
    code, flagged = check(python, case, tmp_path)
    assert code == 1, f"{case.path.name}: not flagged on {case.engine} {case.version}"
    assert case.oracles <= flagged, (case.oracles, flagged)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.pip], ids=[c.path.stem for c in CASES if c.pip]
)
def test_todays_engines_are_not_flagged(case: Case, tmp_path: Path):
    code, flagged = check(sys.executable, case, tmp_path)
    assert code == 0 and not flagged, f"{case.path.name} flagged on today's {case.engine}"
