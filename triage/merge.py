"""Folding a store from another machine into this one, and one finding into another.

Runs and occurrences carry global ids (`uid`), so merging the same store twice adds nothing;
findings meet by signature. A finding new to this store arrives with its status and history. A
finding both stores know keeps this store's status (the triager here decides) and gains the
other's occurrences, which reopen it if it was fixed here and they show a regression.
The other store is read from an in-memory copy, migrated there, and never written to.

Within one store, two findings whose reduced cases sign alike are one bug: `absorb` folds
the later into the earlier, by the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from triage.store import MergeStats, Status, Store, add_occurrence, keep_case, note_change

_COUNTED = ("runs", "findings", "occurrences", "cases")


def merge(store: Store, other_path: str | Path) -> MergeStats:
    """Fold the store at `other_path` into `store` in one transaction; returns what was added."""
    with Store.copy_of(other_path) as other:
        before = _counts(store.db)
        store.write(lambda: _fold(store.db, other.db))
        after = _counts(store.db)
    return MergeStats(**{table: after[table] - before[table] for table in _COUNTED})


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {table: db[table].count for table in _COUNTED}


def _fold(db: sqlite_utils.Database, other: sqlite_utils.Database) -> None:
    runs = {row["id"]: _run(db, row) for row in other.query("SELECT * FROM runs ORDER BY id")}
    findings: dict[int, int] = {}
    arrived: set[int] = set()

    def local(other_id: int) -> int:
        """This store's id for one of the other's findings, creating it (and what it duplicates)."""
        if other_id in findings:
            return findings[other_id]
        row = next(other.query("SELECT * FROM findings WHERE id = ?", [other_id]))
        known = [row["signature"], *(r[0] for r in other.execute(
            "SELECT signature FROM signatures WHERE finding_id = ?", [other_id]))]  # fmt: skip
        existing = next(filter(None, (_local_signature(db, s) for s in known)), None)
        if existing is not None:
            findings[other_id] = existing
            return existing
        duplicate_of = row["duplicate_of"] and local(row["duplicate_of"])
        fields = {k: v for k, v in row.items() if k != "id"}
        new_id = db["findings"].insert({**fields, "duplicate_of": duplicate_of, "occurrences": 0})
        findings[other_id] = new_id.last_pk
        arrived.add(new_id.last_pk)
        for alias in other.query("SELECT * FROM signatures WHERE finding_id = ?", [other_id]):
            db["signatures"].insert({**alias, "finding_id": new_id.last_pk}, ignore=True)
        history = other.query(
            "SELECT * FROM status_changes WHERE finding_id = ? ORDER BY id", [other_id]
        )
        for change in history:
            db["status_changes"].insert({**_without_id(change), "finding_id": new_id.last_pk})
        return new_id.last_pk

    for row in other.query("SELECT * FROM occurrences ORDER BY id"):
        if db.execute("SELECT 1 FROM occurrences WHERE uid = ?", [row["uid"]]).fetchone():
            continue
        finding_id = local(row["finding_id"])
        fields = {**_without_id(row), "run_id": runs.get(row["run_id"])}
        # a finding that just arrived has the status its own store gave it after these hits
        add_occurrence(db, finding_id, fields, may_reopen=finding_id not in arrived)
    for row in other.query("SELECT * FROM findings ORDER BY id"):
        local(row["id"])  # findings without occurrences (none in practice, but keep them)
    for row in other.query("SELECT * FROM cases ORDER BY id"):
        case = {**_without_id(row), "finding_id": local(row["finding_id"])}
        keep_case(db, case, always=row["kind"] == "reduced")


def _run(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    existing = db.execute("SELECT id FROM runs WHERE uid = ?", [row["uid"]]).fetchone()
    if existing is not None:
        return existing[0]
    # occurrences are counted again as they are added; new_findings is the run's own history
    return db["runs"].insert({**_without_id(row), "occurrences": 0}).last_pk


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("id", "finding_id")}


def _local_signature(db: sqlite_utils.Database, signature: str) -> int | None:
    row = db.execute(
        "SELECT id FROM findings WHERE signature = :s "
        "UNION SELECT finding_id FROM signatures WHERE signature = :s LIMIT 1", {"s": signature}
    ).fetchone()  # fmt: skip
    return None if row is None else row[0]


#: how far along the workflow a status is: a merged finding keeps the furthest of the two
_PROGRESS = {Status.NEW: 0, Status.NOT_A_BUG: 1, Status.CONFIRMED: 2, Status.REPORTED: 3,
             Status.FIXED: 4}  # fmt: skip


def absorb(db: sqlite_utils.Database, keep: int, gone: int) -> None:
    """Fold finding `gone` into `keep` (one root cause), in the caller's transaction.

    Every occurrence, case, signature and status change of `gone` moves to `keep`, counts and
    dates are recomputed, and `keep` takes the status furthest along the workflow of the two
    (a triager's confirmation or report is never lost); the change is noted in its history.
    """
    k = next(db.query("SELECT * FROM findings WHERE id = ?", [keep]))
    g = next(db.query("SELECT * FROM findings WHERE id = ?", [gone]))
    db.execute("UPDATE occurrences SET finding_id = ? WHERE finding_id = ?", [keep, gone])
    for case_id, sha in db.execute(
        "SELECT id, sha FROM cases WHERE finding_id = ? ORDER BY id", [gone]
    ).fetchall():
        twin = db.execute(
            "SELECT 1 FROM cases WHERE finding_id = ? AND sha = ?", [keep, sha]
        ).fetchone()
        if twin:
            db.execute("DELETE FROM cases WHERE id = ?", [case_id])
        else:
            db.execute("UPDATE cases SET finding_id = ? WHERE id = ?", [keep, case_id])
    for table in ("status_changes", "signatures"):
        db.execute(f"UPDATE {table} SET finding_id = ? WHERE finding_id = ?", [keep, gone])
    db.execute("UPDATE findings SET duplicate_of = ? WHERE duplicate_of = ?", [keep, gone])
    status = _furthest(k, g, keep)
    db.execute("DELETE FROM findings WHERE id = ?", [gone])
    db.execute(
        "UPDATE findings SET status = :status, status_at = :at, url = :url, fixed_in = :fixed, "
        "duplicate_of = :dup, "
        "occurrences = (SELECT count(*) FROM occurrences WHERE finding_id = :id), "
        "first_seen = min(first_seen, :first), last_seen = max(last_seen, :last), "
        "engine_version = CASE WHEN :last > last_seen THEN :version ELSE engine_version END "
        "WHERE id = :id",
        {**status, "id": keep, "first": g["first_seen"], "last": g["last_seen"],
         "version": g["engine_version"], "url": k["url"] or g["url"]},
    )  # fmt: skip
    note = f"merged finding {gone} ({g['oracle']}/{g['variant']}): the same root cause"
    note_change(db, keep, k["status"], status["status"], note, None, "sqlparity")


def _furthest(k: dict[str, Any], g: dict[str, Any], keep: int) -> dict[str, Any]:
    """The status (with its time, fix version and duplicate link) the merged finding keeps."""
    def state(row: dict[str, Any]) -> dict[str, Any]:
        return {"status": row["status"], "at": row["status_at"], "fixed": row["fixed_in"],
                "dup": row["duplicate_of"]}  # fmt: skip

    mine, theirs = state(k), state(g)
    if mine["dup"] in (keep, g["id"]):  # was a duplicate of the other: now it is the other
        mine = {**theirs, "dup": None} if theirs["dup"] in (None, keep) else theirs
        if mine["status"] == Status.DUPLICATE and mine["dup"] is None:
            mine = {**mine, "status": Status.NEW.value}
        return mine
    if theirs["status"] == Status.DUPLICATE or mine["status"] == Status.DUPLICATE:
        return mine
    rank = _PROGRESS.get(Status(theirs["status"]), 0) > _PROGRESS.get(Status(mine["status"]), 0)
    return theirs if rank else mine
