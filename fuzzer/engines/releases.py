"""Published releases of the in-process engines, installed side by side for the engine host.

One Python process can import one `duckdb` and one `apsw`; to test another release sqlparity
installs it with pip, from the configured index (pip.conf: a local mirror works offline), into
a folder of its own under the user's cache (`$SQLPARITY_CACHE`, else `$XDG_CACHE_HOME/sqlparity`,
else `~/.cache/sqlparity`), once: `engines/duckdb-1.1.3-py3.11/`. The engine host
(`fuzzer.engines.host`) runs there on this interpreter with no site-packages, so that folder
holds the only engine it can import.

A SQLite release is reached through apsw, each of whose releases bundles one SQLite:
`sqlite 3.41.0` is the newest `apsw 3.41.0.*` (an apsw version, `3.41.0.0`, is taken as is).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import total_ordering
from pathlib import Path

from fuzzer.engines.base import EngineError

#: The engines a release can be pinned for: name -> the PyPI package that ships it.
PACKAGES = {"duckdb": "duckdb", "sqlite": "apsw"}

INSTALL_SECONDS = 600
_VERSION = re.compile(r"^\d+(\.\d+){1,3}(\.post\d+)?$")


def cache_home() -> Path:
    if "SQLPARITY_CACHE" in os.environ:
        return Path(os.environ["SQLPARITY_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sqlparity"


@total_ordering
@dataclass(frozen=True)
class Version:
    """A release number, ordered numerically (`0.10.0` after `0.9.2`)."""

    text: str

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", self.text.split(".post")[0]))

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Release:
    """One installable release of an in-process engine, named as users name it."""

    engine: str  # duckdb, sqlite
    version: str  # DuckDB's release, or SQLite's (or an apsw release, for SQLite)

    @classmethod
    def of(cls, engine: str, version: str) -> Release:
        engine = "sqlite" if engine.startswith("sqlite") else engine
        if engine not in PACKAGES:
            known = ", ".join(PACKAGES)
            raise EngineError(f"releases can be pinned for {known}, not {engine!r}")
        if not _VERSION.match(version):
            raise EngineError(f"not a release number: {version!r} (e.g. version=1.1.3)")
        return cls(engine, version)

    @property
    def requirements(self) -> tuple[str, ...]:
        """What pip installs: exactly this release (old DuckDB wants a numpy of its time)."""
        if self.engine == "duckdb":
            numpy = ("numpy<2",) if self.version.startswith("0.6") else ()
            return (f"duckdb=={self.version}", *numpy)
        parts = self.version.split(".")
        if len(parts) == 4 or ".post" in self.version:
            return (f"apsw=={self.version}",)
        upper = [*parts[:-1], str(int(parts[-1]) + 1)]
        return (f"apsw>={self.version},<{'.'.join(upper)}",)

    @property
    def home(self) -> Path:
        python = f"py{sys.version_info.major}.{sys.version_info.minor}"
        return cache_home() / "engines" / f"{self.engine}-{self.version}-{python}"

    @property
    def installed(self) -> bool:
        return (self.home / ".ready").exists()

    def install(self) -> Path:
        """The folder that holds this release, installing it first if need be (once, even when
        several processes ask at the same time). Raises EngineError, one line, if pip cannot."""
        if self.installed:
            return self.home
        self.home.parent.mkdir(parents=True, exist_ok=True)
        with open(self.home.with_name(self.home.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.installed:
                self._pip_install()
        return self.home

    def _pip_install(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "--no-input", "--only-binary", ":all:", "--target", str(self.home),
                   *self.requirements]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_SECONDS)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{self}: pip did not finish in {INSTALL_SECONDS} s") from None
        if done.returncode != 0:
            shutil.rmtree(self.home, ignore_errors=True)
            lines = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")]
            why = lines[0].removeprefix("ERROR: ") if lines else f"pip exited {done.returncode}"
            why = re.sub(r" \(from versions: [^)]*\)", "", why)[:300]
            raise EngineError(f"cannot install {self}: {why}")
        (self.home / ".ready").touch()

    def __str__(self) -> str:
        return f"{self.engine} {self.version}"


def published(engine: str) -> list[str]:
    """The releases the configured index offers, oldest first (SQLite's, for `sqlite`)."""
    package = PACKAGES["sqlite" if engine.startswith("sqlite") else engine]
    command = [sys.executable, "-m", "pip", "index", "versions", package,
               "--disable-pip-version-check", "--no-input"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    found = re.search(r"Available versions: (.*)", done.stdout)
    if done.returncode != 0 or found is None:
        raise EngineError(f"cannot list the releases of {package}: {done.stderr.strip()[-200:]}")
    versions = [v.strip() for v in found.group(1).split(",")]
    if package == "apsw":  # one SQLite release per apsw 3.x.y.*, from 3.x with three parts
        versions = [".".join(v.split(".")[:3]) for v in versions if len(v.split(".")) >= 4]
    return sorted(set(filter(_VERSION.match, versions)), key=Version)
