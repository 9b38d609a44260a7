"""Folding stores from other machines: deduplicated, idempotent, the other store untouched."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from test_triage_store import BUG_A, BUG_B, bug

from triage.store import Store, migrate, schema_version


def test_merge_deduplicates_by_signature_and_is_idempotent(tmp_path: Path) -> None:
    with Store.open(tmp_path / "worker.db") as worker:
        run = worker.start_run("run", seed=1)
        for n in range(3):
            worker.record(bug(BUG_A, table=f"w{n}"), run)
        only_there = worker.record(bug(BUG_B), run).finding_id
        worker.mark(only_there, "not-a-bug", note="documented")
        worker.save_reduced(only_there, "SELECT 1;\n")
        worker.finish_run(run, {"checks": 10})

    with Store.open(tmp_path / "main.db") as main:
        known = main.record(bug(BUG_A)).finding_id
        main.mark(known, "reported", url="https://bugs.example/9")

        added = main.merge(tmp_path / "worker.db")
        assert (added.runs, added.findings, added.occurrences) == (1, 1, 4)
        assert main.get(known).occurrences == 4
        assert main.get(known).status == "reported"  # this store's triage decides

        arrived = next(f for f in main.findings(status=None) if f.id != known)
        assert (arrived.status, arrived.occurrences) == ("not-a-bug", 1)
        assert [h.new_status for h in main.history(arrived.id)] == ["new", "not-a-bug"]
        assert main.best_case(arrived.id).script == "SELECT 1;\n"
        assert [r["occurrences"] for r in main.db["runs"].rows] == [4]

        again = main.merge(tmp_path / "worker.db")
        assert (again.runs, again.findings, again.occurrences, again.cases) == (0, 0, 0, 0)
        assert main.db["occurrences"].count == 5


def test_merged_hits_on_a_new_version_reopen_a_fixed_finding(tmp_path: Path) -> None:
    with Store.open(tmp_path / "main.db") as main:
        fixed = main.record(bug(version="3.45.1")).finding_id
        main.mark(fixed, "fixed", fixed_in="3.46.0")
    with Store.open(tmp_path / "worker.db") as worker:
        worker.record(bug(version="3.47.0"))
    with Store.open(tmp_path / "main.db") as main:
        main.merge(tmp_path / "worker.db")
        assert main.get(fixed).status == "new"
        assert "regression" in main.history(fixed)[-1].note


def test_an_older_store_is_merged_without_being_changed(tmp_path: Path) -> None:
    old_path = tmp_path / "old.db"
    old = sqlite_utils.Database(old_path)
    migrate(old, target=1)
    old.close()
    with Store.open(tmp_path / "main.db") as main:
        added = main.merge(old_path)
    assert added.findings == 0
    with sqlite_utils.Database(old_path) as old:
        assert schema_version(old) == 1
