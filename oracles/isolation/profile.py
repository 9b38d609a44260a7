"""Isolation profiles: the anomalies an engine documents for a level, accepted, not reported.

A TOML file of `[[accept]]` tables, each an anomaly (`checker.ANOMALIES`, or `aborts-more`:
an optimistic target that aborts what the reference committed), the dialect and
level it applies to, and the documented reason. sqlparity ships profiles by name
(`profiles/NAME.toml` beside this module); `--isolation-profile` takes a name or a path.

    [[accept]]
    anomaly = "lost-update"
    dialect = "mysql"
    isolation = "repeatable-read"
    reason = "InnoDB's REPEATABLE READ writes the latest version: a documented lost update"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from oracles.isolation.checker import ANOMALIES
from oracles.isolation.differ import ABORTS_MORE
from oracles.isolation.workload import LEVELS

SHIPPED = Path(__file__).parent / "profiles"
#: what a profile may accept: the anomalies, and a target that aborts what the reference
#: committed (differential mode)
ACCEPTABLE = (*ANOMALIES, ABORTS_MORE)


@dataclass(frozen=True)
class Accept:
    anomaly: str
    reason: str
    dialect: str | None = None  # None: every dialect
    isolation: str | None = None  # None: every level
    via: str | None = None  # only the anomalies that came about that way (`Anomaly.via`)


@dataclass(frozen=True)
class IsolationProfile:
    name: str = "strict"
    accept: tuple[Accept, ...] = ()

    @classmethod
    def named(cls, name_or_path: str | None) -> IsolationProfile:
        if not name_or_path:
            return cls()
        shipped = SHIPPED / f"{name_or_path}.toml"
        return cls.load(shipped if shipped.is_file() else Path(name_or_path))

    @classmethod
    def load(cls, path: Path) -> IsolationProfile:
        """The profile a TOML file holds; ValueError, saying what is wrong where, if none."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: not a readable isolation profile: {exc}") from None
        accepted = []
        for n, entry in enumerate(data.get("accept", []), start=1):
            try:
                accept = Accept(**entry)
            except TypeError as exc:
                raise ValueError(f"{path}: [[accept]] number {n}: {exc}") from None
            if accept.anomaly not in ACCEPTABLE:
                raise ValueError(f"{path}: [[accept]] number {n}: anomaly must be one of "
                                 f"{', '.join(ACCEPTABLE)}")  # fmt: skip
            if accept.isolation not in (None, *LEVELS):
                raise ValueError(f"{path}: [[accept]] number {n}: isolation must be one of "
                                 f"{', '.join(LEVELS)}")  # fmt: skip
            accepted.append(accept)
        return cls(str(data.get("name", path.stem)), tuple(accepted))

    def accepted(self, dialect: str | None, level: str) -> frozenset[tuple[str, str | None]]:
        """The anomalies accepted of `dialect` (None: of any) at `level`, as (kind, via)."""
        return frozenset(
            (a.anomaly, a.via) for a in self.accept
            if dialect is None or a.dialect in (None, dialect)
            if a.isolation in (None, level)
        )  # fmt: skip
