"""Known logic bugs and the old engine releases that have them.

`corpus/known-bugs/` holds public bugs reported by others, `corpus/found/` bugs sqlparity
found itself. Each case's header names the buggy release, the fixing one and the oracle(s)
that flag it. Old DuckDB and SQLite (apsw) releases are reached by pinned engine URLs
(`duckdb:?version=1.1.0`, `sqlite+apsw:?version=3.44.0.0`): `fuzzer.engines.releases`
installs each once into its cache and the engine host runs it. `tests/test_known_bugs.py`
checks every case with this module, and `bench/recall.py` uses it to run `fuzz run` on the
buggy releases.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import fuzzer
import grammar
import oracles
import triage
from fuzzer.engines import releases

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MYSQL_URL = os.environ.get("SQLPARITY_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
#: today's engines, as the scheme alone names them
CURRENT = {"duckdb": "duckdb:", "sqlite": "sqlite+apsw:"}


@dataclass(frozen=True)
class Release:
    """One engine release a case names: a pinned in-process release, or the local server."""

    engine: str  # duckdb, sqlite, mariadb
    version: str
    pin: str | None = None  # the `version=` of its engine URL; None for the local server

    @classmethod
    def of(cls, engine: str, version: str, apsw: str | None = None) -> Release:
        if engine == "duckdb":
            return cls(engine, version, version)
        if engine == "sqlite":
            assert apsw, f"sqlite {version}: a SQLite release is named by its apsw release"
            return cls(engine, version, apsw.removeprefix("apsw=="))
        return cls(engine, version)

    @classmethod
    def parse(cls, text: str) -> Release:
        """`duckdb 1.1.0`, `sqlite 3.44.0 via apsw==3.44.0.0`, `mariadb 10.11.19`."""
        engine, version = text.split()[:2]
        spec = re.search(r"apsw==[\d.]+", text)
        return cls.of(engine, version, spec.group() if spec else None)

    @property
    def name(self) -> str:
        return f"{self.engine} {self.version}"

    @property
    def pip(self) -> tuple[str, ...]:
        """What the engine module installs for this release (nothing for the local server)."""
        return releases.Release.of(self.engine, self.pin).requirements if self.pin else ()

    @property
    def target(self) -> str:
        if self.pin is None:
            return MYSQL_URL
        return f"{CURRENT[self.engine]}?version={self.pin}"

    @property
    def current(self) -> str:
        """The URL of today's release of this engine (the one installed with sqlparity)."""
        return CURRENT.get(self.engine, MYSQL_URL)

    @property
    def local(self) -> bool:
        """The release is the local server, not an installed package."""
        return self.pin is None

    def python(self) -> Path:
        """The interpreter that runs sqlparity against this release: this one (the engine
        host runs the release)."""
        return Path(sys.executable)


@dataclass(frozen=True)
class Case:
    path: Path
    buggy: Release
    fixed: Release | None  # None: still open, or fixed after the local server's release
    oracles: frozenset[str]

    @property
    def engine(self) -> str:
        return self.buggy.engine

    @property
    def version(self) -> str:
        return self.buggy.version

    @property
    def target(self) -> str:
        return self.buggy.target

    @classmethod
    def read(cls, path: Path) -> Case:
        header = dict(re.findall(r"^--\s*([\w-]+):\s*(.*)$", path.read_text(), re.MULTILINE))
        named = re.sub(r"\([^)]*\)", "", header["oracle"])
        words = set(re.findall(r"[\w-]+", named.lower()))
        chosen = frozenset(words & set(oracles.selectable()))
        fixed = header.get("fixed-in", "").split("(")[0].strip()
        fix = Release.parse(fixed) if re.match(r"\w+ \d", fixed) else None
        return cls(path, Release.parse(header["engine"]), fix, chosen)


def cases(folders: tuple[str, ...] = ("known-bugs", "found")) -> list[Case]:
    """The cases of the corpus folders; `known-bugs` alone is the list of public bugs."""
    return [Case.read(p) for folder in folders for p in sorted((CORPUS / folder).glob("*.sql"))]


def sources(tmp: Path) -> Path:
    """A folder holding just sqlparity's packages, for PYTHONPATH in another environment."""
    root = tmp / "src"
    root.mkdir(parents=True, exist_ok=True)
    for package in (fuzzer, oracles, triage, grammar):
        link = root / package.__name__
        if not link.exists():
            link.symlink_to(Path(package.__file__).parent)
    return root


def fuzz(
    python: Path | str, args: list[str], tmp: Path, timeout: float
) -> subprocess.CompletedProcess:
    """Run sqlparity's CLI under `python` (an old release's environment), from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(sources(tmp))}
    return subprocess.run(
        [str(python), "-m", "fuzzer", *args],
        capture_output=True, text=True, env=env, cwd=tmp, timeout=timeout,
    )  # fmt: skip


def check(
    python: Path | str, target: str, scripts: Sequence[Path], oracle: str, tmp: Path
) -> list[dict]:
    """The findings of `fuzz check --json` on scripts (each names its `source` script)."""
    args = ["check", "--json", "--oracle", oracle, "--target", target, *map(str, scripts)]
    result = fuzz(python, args, tmp, 300 + 60 * len(scripts))
    if result.returncode not in (0, 1):
        raise RuntimeError(f"fuzz check on {target}: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)["findings"]
