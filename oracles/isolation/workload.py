"""The workload: transactions over two small tables, spelled per dialect, drawn from a seed.

`iso_list` holds list-append objects (a text cell of comma-separated values, appended to by
`UPDATE ... SET v = v || ',7'`), `iso_reg` read-write registers (an integer cell). Every row
exists before the schedule starts, so a range read or an `UPDATE ... WHERE k BETWEEN` reads
or writes a known set of keys. Values are unique per key: a read tells who wrote what it saw.

Each scheduled statement carries what it means to the history in a leading comment,
`/* c2 t7 append l3=41 */`: the client, the transaction, the operation. A script of them is
a replayable schedule, and `history.parse` needs nothing else to rebuild the history.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

#: the levels `--isolation` offers
LEVELS = ("read-committed", "repeatable-read", "snapshot", "serializable")

LIST, REG = "iso_list", "iso_reg"
TAG = re.compile(r"^/\* c(\d+) t(\d+) (\w+)((?: [lr]\d+=\d+)*) \*/ ")


@dataclass(frozen=True)
class Spelling:
    """How a dialect says what the workload needs."""

    begin: dict[str, tuple[str, ...]]  # level -> the statements that start a transaction
    session: tuple[str, ...]  # each client's session settings, before its first transaction
    append: str  # the new cell value from `v` and the text `{x}` to append
    for_share: str
    table: str = ""  # after CREATE TABLE (...)


SPELLINGS = {
    "postgres": Spelling(
        begin={
            "read-committed": ("BEGIN ISOLATION LEVEL READ COMMITTED",),
            "repeatable-read": ("BEGIN ISOLATION LEVEL REPEATABLE READ",),
            "snapshot": ("BEGIN ISOLATION LEVEL REPEATABLE READ",),
            "serializable": ("BEGIN ISOLATION LEVEL SERIALIZABLE",),
        },
        session=("SET lock_timeout = '3s'",),
        append="v || '{x}'",
        for_share=" FOR SHARE",
    ),
    "mysql": Spelling(
        begin={
            "read-committed": ("SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
                               "START TRANSACTION"),
            "repeatable-read": ("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                                "START TRANSACTION"),
            # MariaDB's snapshot isolation: REPEATABLE READ with innodb_snapshot_isolation
            "snapshot": ("SET SESSION innodb_snapshot_isolation = ON",
                         "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                         "START TRANSACTION WITH CONSISTENT SNAPSHOT"),
            "serializable": ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                             "START TRANSACTION"),
        },
        session=("SET SESSION innodb_lock_wait_timeout = 3",),
        append="CONCAT(v, '{x}')",
        for_share=" LOCK IN SHARE MODE",
        table=" ENGINE=InnoDB",
    ),
}


def spelling(dialect: str) -> Spelling:
    try:
        return SPELLINGS[dialect]
    except KeyError:
        known = ", ".join(sorted(SPELLINGS))
        raise ValueError(f"the isolation oracle speaks {known}, not {dialect}") from None


@dataclass(frozen=True)
class Workload:
    """What one schedule draws: its size and the level its transactions run at."""

    clients: int = 4
    txns_per_client: int = 6
    keys: int = 5  # of each table: few keys, so that transactions meet
    level: str = "serializable"


def setup(dialect: str, keys: int) -> list[str]:
    """The tables, every row in place (untagged: run before the clients start)."""
    s = spelling(dialect)
    rows_l = ", ".join(f"({k}, '')" for k in range(keys))
    rows_r = ", ".join(f"({k}, NULL)" for k in range(keys))
    return [
        f"DROP TABLE IF EXISTS {LIST}",
        f"DROP TABLE IF EXISTS {REG}",
        f"CREATE TABLE {LIST} (k INT PRIMARY KEY, v TEXT NOT NULL){s.table}",
        f"CREATE TABLE {REG} (k INT PRIMARY KEY, v INT){s.table}",
        f"INSERT INTO {LIST} (k, v) VALUES {rows_l}",
        f"INSERT INTO {REG} (k, v) VALUES {rows_r}",
    ]


class Drawer:
    """Draws transactions and their interleaving from one `random.Random`."""

    def __init__(self, dialect: str, workload: Workload, rng: random.Random) -> None:
        self.s = spelling(dialect)
        self.w = workload
        self.rng = rng
        self.value = 0

    def _next(self) -> int:
        self.value += 1
        return self.value

    def _tag(self, client: int, txn: int, what: str, writes: str = "") -> str:
        return f"/* c{client} t{txn} {what}{writes} */ "

    def _op(self, client: int, txn: int, focus: int | None) -> tuple[str, int]:
        """One statement of a transaction, and the key it was about (read-modify-write pairs
        come from reusing it)."""
        rng, keys = self.rng, self.w.keys
        key = focus if focus is not None and rng.random() < 0.5 else rng.randrange(keys)
        roll = rng.random()
        if roll < 0.25:  # read a list
            lock = rng.choice(("", "", "", " FOR UPDATE", self.s.for_share))
            return self._tag(client, txn, "read") + \
                f"SELECT k, v FROM {LIST} WHERE k = {key}{lock}", key  # fmt: skip
        if roll < 0.35:  # range read of lists: a predicate read
            hi = min(keys - 1, key + rng.randrange(1, 3))
            where = f"k BETWEEN {key} AND {hi}"
            return self._tag(client, txn, "pread") + \
                f"SELECT k, v FROM {LIST} WHERE {where} ORDER BY k", key  # fmt: skip
        if roll < 0.6:  # append to a list
            x = self._next()
            if rng.random() < 0.15 and key < keys - 1:  # to every list of a range
                hi = key + 1
                writes = f" l{key}={x} l{hi}={x}"
                where = f"k BETWEEN {key} AND {hi}"
            else:
                writes, where = f" l{key}={x}", f"k = {key}"
            value = self.s.append.format(x=f",{x}")
            return self._tag(client, txn, "append", writes) + \
                f"UPDATE {LIST} SET v = {value} WHERE {where}", key  # fmt: skip
        if roll < 0.8:  # read a register
            return self._tag(client, txn, "read") + \
                f"SELECT k, v FROM {REG} WHERE k = {key}", key  # fmt: skip
        x = self._next()  # write a register
        return self._tag(client, txn, "write", f" r{key}={x}") + \
            f"UPDATE {REG} SET v = {x} WHERE k = {key}", key  # fmt: skip

    def transaction(self, client: int, txn: int) -> list[list[str]]:
        """Its steps: the begin (as many statements as the dialect needs), each operation,
        the commit."""
        tag = self._tag(client, txn, "begin")
        steps = [[tag + s for s in self.s.begin[self.w.level]]]
        focus = None
        for _ in range(self.rng.randint(1, 4)):
            statement, focus = self._op(client, txn, focus)
            steps.append([statement])
        steps.append([self._tag(client, txn, "commit") + "COMMIT"])
        return steps

    def schedule(self) -> list[str]:
        """Every client's transactions, interleaved step by step (so that one seed gives one
        schedule in every dialect, however many statements its begin takes), then a final
        read of every key (client 0, after all others), which fixes every version order."""
        queues: list[list[list[str]]] = []
        txn = 0
        for client in range(self.w.clients):
            queue: list[list[str]] = []
            for _ in range(self.w.txns_per_client):
                txn += 1
                queue.extend(self.transaction(client, txn))
            queues.append(queue)
        order: list[str] = []
        while any(queues):
            queue = self.rng.choice([q for q in queues if q])
            order.extend(queue.pop(0))
        txn += 1
        final = [self._tag(0, txn, "begin") + s for s in self.s.begin["serializable"]]
        final += [self._tag(0, txn, "read") + f"SELECT k, v FROM {t} ORDER BY k"
                  for t in (LIST, REG)]  # fmt: skip
        final.append(self._tag(0, txn, "commit") + "COMMIT")
        return order + final


def draw(dialect: str, drawn: Workload, seed: int) -> list[str]:
    """The table setup and a schedule drawn from `seed`: one seed gives one schedule in
    every dialect, spelled in `dialect` (no draw depends on the spelling)."""
    return [*setup(dialect, drawn.keys), *Drawer(dialect, drawn, random.Random(seed)).schedule()]


@dataclass(frozen=True)
class Tagged:
    """What a scheduled statement's comment says."""

    client: int
    txn: int
    what: str  # begin, read, pread, append, write, commit
    writes: tuple[tuple[str, int], ...]


def tag_of(statement: str) -> Tagged | None:
    """The tag of a scheduled statement; None for an untagged (setup) statement."""
    m = TAG.match(statement)
    if m is None:
        return None
    writes = tuple((k, int(v)) for k, v in (w.split("=") for w in m.group(4).split()))
    return Tagged(int(m.group(1)), int(m.group(2)), m.group(3), writes)
