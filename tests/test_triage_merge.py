"""Folding stores from other machines: deduplicated, idempotent, the other store untouched."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from test_triage_store import BUG_A, BUG_B, bug

from oracles.finding import Finding
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


def _reduced(hit: Finding) -> Finding:
    """The hit's reduction: the table and its row, the partition's predicate alone."""
    queries = ("SELECT * FROM t0", "SELECT * FROM t0 WHERE (c0 > 0)")
    return Finding(**{**hit.__dict__, "setup": hit.setup[:1] + hit.setup[-1:], "queries": queries})


def test_findings_whose_reductions_sign_alike_merge_keeping_everything(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        first = store.record(bug(("abs",), version="3.45.0")).finding_id
        store.record(bug(("abs",), version="3.45.0"))
        second = store.record(bug(("lower", "upper"), version="3.46.0", oracle="norec"))
        other = store.record(bug(("length",))).finding_id
        assert len({first, second.finding_id, other}) == 3
        store.mark(second.finding_id, "reported", url="https://bugs.example/9", note="sent")
        old_signature = store.get(second.finding_id).signature

        assert store.keep_reduced(first, _reduced(bug(("abs",))))[1] == first
        _, holder = store.keep_reduced(second.finding_id, _reduced(bug(("lower",))))
        assert holder == first  # the earlier finding stands for both

        merged = store.get(first)
        assert [f.id for f in store.findings()] == [first, other]
        assert merged.occurrences == 3 and merged.status == "reported"
        assert merged.url == "https://bugs.example/9"
        assert [v.engine_version for v in store.versions(first)] == ["3.45.0", "3.46.0"]
        assert [(h.old_status, h.new_status) for h in store.history(first)] == [
            (None, "new"), (None, "new"), ("new", "reported"), ("new", "reported")]
        assert "merged finding 2" in store.history(first)[-1].note
        assert {e.oracle for e in store.evidence(first)} == {"tlp", "norec"}
        kept = store.cases(first)  # the second reduction was the same script: kept once
        assert [c.kind for c in kept].count("reduced") == 1 and len(kept) == 3
        # a hit signed as the merged finding was before its reduction still reaches it
        again = store.record(bug(("lower", "upper"), version="3.47.0", oracle="norec"))
        assert not again.is_new and again.finding_id == first
        assert store.db.execute("SELECT finding_id FROM signatures WHERE signature = ?",
                                [old_signature]).fetchone() == (first,)  # fmt: skip


def test_an_old_store_is_re_signed_and_its_duplicates_merge(tmp_path: Path) -> None:
    """A store of signature version 1 (oracle, variant and the tree's features hashed) with
    two findings of one bug from two oracles: migrated, they are one finding."""
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrate(old, target=3)
    tlp, nr = bug(("abs",)), bug(("abs",), oracle="norec")
    nr = Finding(**{**nr.__dict__, "queries": nr.queries[1:2]})  # NoREC checks that query
    for n, hit in enumerate((tlp, nr), start=1):
        old["findings"].insert({
            "signature": f"v1-{n}", "oracle": hit.oracle, "variant": hit.variant,
            "engine": "sqlite", "engine_version": "3.40.0", "dialect": "sqlite",
            "features": "[]", "title": f"old {n}", "status_at": "2024-01-01T00:00:00Z",
            "first_seen": f"2024-01-0{n}T00:00:00Z", "last_seen": f"2024-01-0{n}T00:00:00Z",
            "occurrences": 1,
        })  # fmt: skip
        old["occurrences"].insert({"uid": f"u{n}", "finding_id": n, "seen": "2024-01-01",
                                   "engine_version": "3.40.0", "sha": "s"})  # fmt: skip
        old["cases"].insert({
            "finding_id": n, "kind": "original", "script": hit.script,
            "setup": json.dumps(list(hit.setup)), "queries": json.dumps(list(hit.queries)),
            "statements": 3, "bytes": len(hit.script), "sha": f"s{n}", "created": "2024",
        })  # fmt: skip
    old.close()
    with Store.open(path) as store:
        (only,) = store.findings()
        assert only.signature == tlp.signature and only.signature_version >= 2
        assert only.occurrences == 2 and len(store.cases(only.id)) == 2
        assert store.record(bug(("abs",), table="renamed")).finding_id == only.id
