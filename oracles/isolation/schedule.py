"""The scheduler: runs a schedule on N client sessions, in its order, around blocked clients.

Each client is a session of its own in the target's scratch space (`Engine.companion`), run
on a thread of its own. The scheduler hands statements out in the schedule's order: it waits
`grace` seconds for each; a statement still running then is taken for blocked (on a lock
another client holds), and the scheduler goes on with the next statement of a client that is
free. The last transaction (the final read) starts once all others have ended. A client
whose statement fails rolls its transaction back at once, and the rest of that
transaction is not run. The order statements are handed out in follows the seed alone;
only when they return depends on the engine, which is why a finding is confirmed by replay.
Free-running (`free`), for throughput, there is no controller: each client runs its own
statements back to back, and the interleaving is the engine's.

`history_of` reads the history back from the statements' tags and outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from fuzzer.engines import Engine, Failure, Outcome, Rows
from fuzzer.errors import ErrorCategory
from oracles.isolation.history import APPEND, FAIL, INFO, OK, READ, WRITE, History, Op, Txn
from oracles.isolation.workload import LIST, Tagged, tag_of

#: how long a statement may take before its client is taken for blocked
GRACE = 0.1
#: the outcome of a statement not run, because its transaction had already failed
SKIPPED = Failure("", "sqlparity:skipped", "not run: its transaction had failed")
#: failures after which nobody knows whether the transaction committed
UNKNOWN = (ErrorCategory.CONNECTION, ErrorCategory.TIMEOUT)
#: how a locking read ends
LOCKING = (" FOR UPDATE", " FOR SHARE", " LOCK IN SHARE MODE")

Execute = Callable[[Engine, str], Outcome]


def run(
    statements: Sequence[str],
    target: Engine,
    execute: Execute,
    clients: int,
    session: Sequence[str] = (),
    grace: float = GRACE,
    free: bool = False,
) -> list[Outcome]:
    """The outcome of every statement: untagged ones on the target first, in order, then
    the tagged ones on their clients' sessions, in the schedule's order (`free`: each client
    its own statements as fast as it can, the interleaving left to the engine)."""
    outcomes: list[Outcome | None] = [None] * len(statements)
    tags = [tag_of(s) for s in statements]
    for n, statement in enumerate(statements):
        if tags[n] is None:
            outcomes[n] = execute(target, statement)
    sessions: list[Engine] = []
    pools = [ThreadPoolExecutor(1, thread_name_prefix=f"client{c}") for c in range(clients)]
    try:
        for _ in range(clients):
            sessions.append(target.companion())
            for statement in session:
                execute(sessions[-1], statement)

        def one(client: int, statement: str) -> Outcome:
            outcome = execute(sessions[client], statement)
            if not outcome.ok:
                execute(sessions[client], "ROLLBACK")
            return outcome

        if free:
            _free(statements, tags, outcomes, pools, one)
        else:
            _interleaved(statements, tags, outcomes, pools, one, grace)
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
        for engine in sessions:
            engine.close()
    return outcomes  # type: ignore[return-value]


def _interleaved(
    statements: Sequence[str],
    tags: Sequence[Tagged | None],
    outcomes: list[Outcome | None],
    pools: Sequence[ThreadPoolExecutor],
    one: Callable[[int, str], Outcome],
    grace: float,
) -> None:
    """The statements handed out in the schedule's order, around blocked clients."""
    pending = [n for n, t in enumerate(tags) if t is not None]
    busy: dict[int, tuple[int, Future[Outcome]]] = {}
    failed: set[int] = set()

    def collect() -> None:
        for client, (n, future) in list(busy.items()):
            if future.done():
                del busy[client]
                outcomes[n] = future.result()
                if not outcomes[n].ok:  # type: ignore[union-attr]
                    failed.add(tags[n].txn)  # type: ignore[union-attr]

    final = max((t.txn for t in tags if t is not None), default=0)
    while pending or busy:
        collect()
        pick = next((n for n in pending if tags[n].client not in busy), None)  # type: ignore[union-attr]
        if pick is not None and tags[pick].txn == final and busy:  # type: ignore[union-attr]
            pick = None  # the final read comes after every other transaction ended
        if pick is None:
            wait([f for _, f in busy.values()], return_when=FIRST_COMPLETED)
            continue
        pending.remove(pick)
        tag = tags[pick]
        assert tag is not None
        if tag.txn in failed:
            outcomes[pick] = SKIPPED
            continue
        future = pools[tag.client].submit(one, tag.client, statements[pick])
        busy[tag.client] = (pick, future)
        wait([future], timeout=grace)


def _free(
    statements: Sequence[str],
    tags: Sequence[Tagged | None],
    outcomes: list[Outcome | None],
    pools: Sequence[ThreadPoolExecutor],
    one: Callable[[int, str], Outcome],
) -> None:
    """Each client runs its own statements in order, without waiting for the others; the
    final read once all have ended."""
    final = max((t.txn for t in tags if t is not None), default=0)

    def client(c: int, mine: list[int]) -> None:
        failed: set[int] = set()
        for n in mine:
            txn = tags[n].txn  # type: ignore[union-attr]
            if txn in failed:
                outcomes[n] = SKIPPED
                continue
            outcomes[n] = outcome = one(c, statements[n])
            if not outcome.ok:
                failed.add(txn)

    def of(c: int, last: bool) -> list[int]:
        return [n for n, t in enumerate(tags) if t is not None and t.client == c
                and (t.txn == final) == last]  # fmt: skip

    for future in [pools[c].submit(client, c, of(c, False)) for c in range(len(pools))]:
        future.result()
    client(0, of(0, True))


def _list(cell: object) -> tuple[int, ...]:
    return tuple(int(x) for x in str(cell).split(",") if x)


def history_of(statements: Sequence[str], outcomes: Sequence[Outcome]) -> History:
    """The history a schedule's tags and outcomes tell."""
    txns: dict[int, Txn] = {}
    for n, (statement, outcome) in enumerate(zip(statements, outcomes, strict=True)):
        tag = tag_of(statement)
        if tag is None:
            continue
        txn = txns.setdefault(tag.txn, Txn(tag.txn, tag.client))
        if outcome is SKIPPED or txn.status == FAIL:
            continue
        if isinstance(outcome, Failure):
            unknown = tag.what == "commit" and outcome.category in UNKNOWN
            txn.status, txn.sqlstate = (INFO if unknown else FAIL), outcome.sqlstate
            continue
        assert isinstance(outcome, Rows)
        if tag.what in ("read", "pread"):
            is_list = f"FROM {LIST}" in statement
            locking = any(s in statement for s in LOCKING)
            for k, v in outcome.rows:
                key, value = (f"l{k}", _list(v)) if is_list else (f"r{k}", v)
                txn.ops.append(Op(READ, key, value, tag.what == "pread", locking, n))
        elif tag.what in ("append", "write"):
            f = APPEND if tag.what == "append" else WRITE
            txn.ops.extend(Op(f, key, value, statement=n) for key, value in tag.writes)
        elif tag.what == "commit":
            txn.status = OK
    return History(sorted(txns.values(), key=lambda t: t.id))
