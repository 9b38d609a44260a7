"""The isolation checker on hand-built histories: each anomaly is found, with its cycle."""

from __future__ import annotations

import pytest

from oracles.isolation.checker import Checker, Report
from oracles.isolation.history import APPEND, FAIL, OK, READ, WRITE, History, Op, Txn


def txn(tid: int, *ops: tuple, status: str = OK) -> Txn:
    built = []
    for f, key, value, *pred in ops:
        built.append(Op(f, key, tuple(value) if isinstance(value, list) else value, bool(pred)))
    return Txn(tid, tid, built, status)


def a(key: str, value: int) -> tuple:
    return (APPEND, key, value)


def r(key: str, value: object, predicate: bool = False) -> tuple:
    return (READ, key, value, *((True,) if predicate else ()))


def w(key: str, value: int) -> tuple:
    return (WRITE, key, value)


def check(*txns: Txn) -> Report:
    return Checker(History(list(txns))).check()


def kinds(report: Report) -> set[str]:
    return {x.kind for x in report.anomalies}


def only(report: Report, kind: str):
    found = [x for x in report.anomalies if x.kind == kind]
    assert found, f"no {kind} in {[str(x) for x in report.anomalies]}"
    return found[0]


def test_a_serial_history_has_no_anomaly():
    report = check(
        txn(1, a("x", 1), r("x", [1])),
        txn(2, r("x", [1]), a("x", 2), r("y", None), w("y", 1)),
        txn(3, r("x", [1, 2]), r("y", 1), w("y", 2)),
        txn(4, r("x", [1, 2]), r("y", 2)),
    )
    assert report.anomalies == []
    assert report.edges > 0


def test_g0_write_cycle():
    report = check(
        txn(1, a("x", 1), a("y", 1)),
        txn(2, a("x", 2), a("y", 2)),
        txn(3, r("x", [1, 2]), r("y", [2, 1])),
    )
    g0 = only(report, "G0")
    assert {s.kind for s in g0.cycle} == {"ww"}
    assert set(g0.txns) == {1, 2}


def test_g1a_aborted_read():
    report = check(txn(1, a("x", 1), status=FAIL), txn(2, r("x", [1])))
    assert only(report, "G1a").txns == (2, 1)
    assert report.forbidden("read-committed")
    assert not report.forbidden("read-uncommitted")


def test_g1b_intermediate_read():
    report = check(txn(1, a("x", 1), a("x", 2)), txn(2, r("x", [1])))
    assert only(report, "G1b").txns == (2, 1)


def test_g1b_intermediate_register_read():
    report = check(txn(1, w("r", 1), w("r", 2)), txn(2, r("r", 1)))
    assert kinds(report) == {"G1b"}


def test_g1c_circular_information_flow():
    report = check(txn(1, a("x", 1), r("y", [1])), txn(2, a("y", 1), r("x", [1])))
    g1c = only(report, "G1c")
    assert {s.kind for s in g1c.cycle} == {"wr"}
    assert len(g1c.cycle) == 2


def test_g_single_read_skew():
    report = check(
        txn(1, r("x", []), r("y", [1])),
        txn(2, a("x", 1), a("y", 1)),
        txn(3, r("x", [1]), r("y", [1])),
    )
    cycle = only(report, "G-single").cycle
    assert sorted(s.kind for s in cycle) == ["rw", "wr"]
    assert report.forbidden("snapshot") and not report.forbidden("read-committed")


def test_lost_update_on_a_list_is_one_anomaly_not_also_g_single():
    report = check(
        txn(1, r("x", []), a("x", 1)),
        txn(2, r("x", []), a("x", 2)),
        txn(3, r("x", [1, 2])),
    )
    assert kinds(report) == {"lost-update"}
    assert only(report, "lost-update").txns == (1, 2)


def test_lost_update_on_a_register():
    report = check(txn(1, r("r", None), w("r", 1)), txn(2, r("r", None), w("r", 2)))
    assert kinds(report) == {"lost-update"}
    assert [x.kind for x in report.forbidden("snapshot", accepted=[("lost-update", None)])] == []


def test_g2_item_write_skew_is_allowed_by_snapshot_isolation():
    report = check(
        txn(1, r("x", []), r("y", []), a("x", 1)),
        txn(2, r("x", []), r("y", []), a("y", 1)),
        txn(3, r("x", [1]), r("y", [1])),
    )
    cycle = only(report, "G2-item").cycle
    assert [s.kind for s in cycle] == ["rw", "rw"]
    assert not report.forbidden("snapshot")
    assert [x.kind for x in report.forbidden("serializable")] == ["G2-item"]


def test_g2_with_a_predicate_read():
    report = check(
        txn(1, r("x", [], True), r("y", [], True), a("x", 1)),
        txn(2, r("x", [], True), r("y", [], True), a("y", 1)),
        txn(3, r("x", [1]), r("y", [1])),
    )
    assert "G2" in kinds(report) and "G2-item" not in kinds(report)


def test_register_write_skew():
    report = check(
        txn(1, r("p", None), r("q", None), w("p", 1)),
        txn(2, r("p", None), r("q", None), w("q", 1)),
    )
    assert kinds(report) == {"G2-item"}


def test_the_smallest_cycle_is_reported():
    # a long G1c loop 1 -> 2 -> 3 -> 4 -> 1 and a short one 5 <-> 6
    long = [txn(i, a(f"k{i}", i), r(f"k{i - 1 if i > 1 else 4}", [i - 1 if i > 1 else 4]))
            for i in range(1, 5)]
    report = check(*long, txn(5, a("u", 5), r("v", [6])), txn(6, a("v", 6), r("u", [5])))
    first = only(report, "G1c")
    assert set(first.txns) == {5, 6}


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        ((a("x", 1), r("x", [])), "after own append"),
        ((r("x", [1]), r("x", [])), "a list that shrank"),
        ((w("r", 1), r("r", None)), "after own write"),
    ],
)
def test_internal_consistency(ops, detail):
    report = check(txn(9, a("x", 7)), txn(1, *ops), txn(2, r("x", [7, 1])))
    assert "internal" in kinds(report), detail


def test_duplicate_garbage_and_incompatible_reads():
    report = check(
        txn(1, a("x", 1)), txn(2, a("x", 2)),
        txn(3, r("x", [1, 1])), txn(4, r("x", [2])), txn(5, r("x", [1, 2])), txn(6, r("y", [9])),
    )
    assert {"duplicate", "incompatible-order", "garbage-read"} <= kinds(report)


def test_a_write_seen_twice_is_bad_input():
    with pytest.raises(ValueError, match="written twice"):
        check(txn(1, a("x", 1)), txn(2, a("x", 1)))


def test_history_json_round_trip(tmp_path):
    history = History([txn(1, a("x", 1), r("x", [1]), r("r", None, True)), txn(2, w("r", 1))])
    path = tmp_path / "h.json"
    history.save(path)
    assert History.load(path) == history
    path.write_text('{"txns": [{"id": 1, "ops": [["frob", "x", 1]]}]}')
    with pytest.raises(ValueError, match="frob"):
        History.load(path)


def test_a_write_over_an_unseen_version_is_a_lost_update_whichever_key_is_read_first():
    # T2 read l1 and l2 before T1's appends, then appended to l2 over T1's version
    report = check(
        txn(1, a("l1", 6), a("l2", 6)),
        txn(2, r("l1", [], True), r("l2", [], True), a("l2", 24)),
        txn(3, r("l1", [6]), r("l2", [6, 24])),
    )
    assert kinds(report) == {"lost-update"}
    assert {s.key for s in only(report, "lost-update").cycle} == {"l2"}


def test_a_g_single_closed_by_a_write_over_a_newer_version_says_so():
    # T2 read y before T1 appended to it, then appended to x over T1's version (no
    # first-committer-wins): T2 -rw(y)-> T1 -ww(x)-> T2
    report = check(
        txn(1, a("y", 1), a("x", 1)),
        txn(2, r("y", []), a("x", 2)),
        txn(3, r("x", [1, 2]), r("y", [1])),
    )
    g = only(report, "G-single")
    assert g.via == "write-latest"
    assert report.forbidden("snapshot", [("G-single", "write-latest")]) == []
    assert report.forbidden("snapshot", [("G-single", "locking-read")]) == [g]
