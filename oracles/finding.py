"""A finding: what an oracle reports, what the triage store keeps, what the reducer shrinks.

A finding carries everything a maintainer needs to reproduce it from an empty database:
the full script (schema, data, queries), the engines with their exact versions, the seed and
position that produced it, expected versus actual results, and a root-cause signature for
deduplication that ignores literals, names, statement order and which oracle flagged it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fuzzer.engines import Engine


@dataclass(frozen=True)
class EngineInfo:
    name: str  # "sqlite", "postgresql", "mariadb", ...
    version: str
    dialect: str
    url: str  # always the redacted form: never a password

    @classmethod
    def of(cls, engine: Engine) -> EngineInfo:
        return cls(engine.name, engine.version, engine.dialect, str(engine.url))


@dataclass(frozen=True)
class Finding:
    oracle: str  # "tlp", "norec", "diff", "crash"
    variant: str  # "where", "having", "aggregate:sum", "rows", "error", "hang", ...
    engine: EngineInfo
    setup: tuple[str, ...]  # the statements that build the database state
    queries: tuple[str, ...]  # the queries the oracle ran and compared, the original first
    expected: Any  # JSON-serialisable
    actual: Any  # JSON-serialisable
    features: tuple[str, ...]  # the SQL features of the failing query (sorted, literal-free)
    title: str  # one line for a queue
    reference: EngineInfo | None = None  # the other engine of a differential
    seed: int | None = None
    position: str | None = None  # where in the seed's stream: "worker/state/check"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def signature(self) -> str:
        """Same bug, same signature: engine (not version), symptom and the constructs of the
        case (`oracles.signature`); signed again once the case is reduced."""
        from oracles.signature import signature

        return signature(self)

    @property
    def script(self) -> str:
        """The reproducer: setup then queries, one statement per line, ready for `fuzz check`."""
        engine = f"{self.engine.name} {self.engine.version}"
        header = [f"-- sqlparity {self.oracle}/{self.variant} on {engine}"]
        if self.reference is not None:
            header.append(f"-- reference: {self.reference.name} {self.reference.version}")
        if self.seed is not None:
            header.append(f"-- seed: {self.seed} position: {self.position}")
        lines = [*header, *(s.rstrip(";") + ";" for s in self.setup)]
        lines.extend(q.rstrip(";") + ";" for q in self.queries)
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signature"] = self.signature
        return data
