"""A history: the transactions the clients ran, what each read and wrote, and how each ended.

Two kinds of object, told apart by their keys' operations:

- list-append keys: `append` adds a value unique to its key at the end of a list, a read
  returns the whole list; the longest read fixes the key's version order;
- read-write registers: `write` sets a value unique to its key, a read returns one value
  (None: the initial one, never written).

A history is JSON (`save`/`load`), so that one recorded by any tool can be checked by
`fuzz check --history FILE`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: operation kinds
APPEND, WRITE, READ = "append", "write", "read"
#: transaction outcomes: committed, aborted (known not to have taken effect), unknown
OK, FAIL, INFO = "ok", "fail", "info"


@dataclass(frozen=True)
class Op:
    """One operation on one key: an append or write of `value`, or a read that saw `value`
    (a tuple for a list key, a scalar or None for a register)."""

    f: str
    key: str
    value: Any
    #: a read made by a predicate (a range read, UPDATE ... WHERE): its anti-dependencies
    #: make a cycle G2 rather than G2-item
    predicate: bool = False
    #: a locking read (FOR UPDATE, FOR SHARE), which an engine may serve from the latest
    #: committed version rather than the transaction's snapshot
    locking: bool = False
    #: the statement the operation came from, by its index in the schedule
    statement: int | None = None


@dataclass
class Txn:
    id: int
    client: int
    ops: list[Op] = field(default_factory=list)
    status: str = INFO
    sqlstate: str | None = None  # why it did not commit, when it did not

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "client": self.client, "status": self.status,
            "sqlstate": self.sqlstate,
            "ops": [[o.f, o.key, list(o.value) if isinstance(o.value, tuple) else o.value,
                     o.predicate, o.locking] for o in self.ops],
        }  # fmt: skip


@dataclass
class History:
    txns: list[Txn] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"txns": [t.to_json() for t in self.txns]}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json()) + "\n")

    @classmethod
    def load(cls, path: Path) -> History:
        """The history a JSON file holds; ValueError, saying what is wrong, if none."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_json(data)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable history: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a history ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        txns = []
        for t in data["txns"]:
            status = t.get("status", OK)
            if status not in (OK, FAIL, INFO):
                raise ValueError(f"transaction {t['id']}: status {status!r}")
            ops = []
            for op in t["ops"]:
                f, key, value = op[0], str(op[1]), op[2]
                if f not in (APPEND, WRITE, READ):
                    raise ValueError(f"transaction {t['id']}: operation {f!r}")
                if isinstance(value, list):
                    value = tuple(value)
                flags = [bool(x) for x in op[3:5]] + [False, False]
                ops.append(Op(f, key, value, flags[0], flags[1]))
            txns.append(Txn(int(t["id"]), int(t.get("client", 0)), ops, status,
                            t.get("sqlstate")))  # fmt: skip
        return cls(txns)
