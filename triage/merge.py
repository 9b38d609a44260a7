"""Folding a store from another machine into this one.

Runs and occurrences carry global ids (`uid`), so merging the same store twice adds nothing;
findings meet by signature. A finding new to this store arrives with its status and history. A
finding both stores know keeps this store's status (the triager here decides) and gains the
other's occurrences, which reopen it if it was fixed here and they show a regression.
The other store is read from an in-memory copy, migrated there, and never written to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from triage.store import MergeStats, Store, add_occurrence, keep_case

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
        found = db.execute("SELECT id FROM findings WHERE signature = ?", [row["signature"]])
        existing = found.fetchone()
        if existing is not None:
            findings[other_id] = existing[0]
            return existing[0]
        duplicate_of = row["duplicate_of"] and local(row["duplicate_of"])
        fields = {k: v for k, v in row.items() if k != "id"}
        new_id = db["findings"].insert({**fields, "duplicate_of": duplicate_of, "occurrences": 0})
        findings[other_id] = new_id.last_pk
        arrived.add(new_id.last_pk)
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
