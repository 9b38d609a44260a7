"""bench/recall.py's bookkeeping: which findings match which known bugs (no engine runs here)."""

from __future__ import annotations

from pathlib import Path

from known_bugs import Case, Release, cases
from recall import FIXED, REPRODUCES, UNKNOWN, Pair, PairResult, match, match_all, pairs, summary


def case(tmp: Path, name: str, engine: str, fixed: str) -> Case:
    path = tmp / f"{name}.sql"
    path.write_text(
        f"-- bug: https://example.invalid/{name}\n-- engine: {engine}\n-- fixed-in: {fixed}\n"
        "-- oracle: tlp (variant where), norec\nSELECT 1 FROM t WHERE p;\n"
    )
    return Case.read(path)


def test_a_case_header_names_its_buggy_and_fixing_releases(tmp_path: Path):
    c = case(tmp_path, "a", "sqlite 3.44.0 via apsw==3.44.0.0   (also 3.43.0)",
             "sqlite 3.44.2 via apsw==3.44.2.0 (verified)")  # fmt: skip
    assert c.buggy == Release("sqlite", "3.44.0", "3.44.0.0")
    assert c.fixed == Release("sqlite", "3.44.2", "3.44.2.0")
    assert c.oracles == {"tlp", "norec"}
    assert c.target == "sqlite+apsw:?version=3.44.0.0" and c.buggy.current == "sqlite+apsw:"


def test_an_open_bug_has_no_fixing_release_and_runs_on_the_local_server(tmp_path: Path):
    c = case(tmp_path, "m", "mariadb 10.11.19        (the server here)", "none known (open)")
    assert c.fixed is None
    assert c.buggy.local and c.target.startswith("mysql://")


def test_duckdb_06_is_installed_with_numpy_below_2():
    assert Release.of("duckdb", "0.6.1").pip == ("duckdb==0.6.1", "numpy<2")
    assert Release.of("duckdb", "1.1.0").pip == ("duckdb==1.1.0",)


def test_bugs_sharing_a_release_and_a_fix_form_one_pair(tmp_path: Path):
    found = pairs([
        case(tmp_path, "b2", "duckdb 1.1.0", "duckdb 1.1.1"),
        case(tmp_path, "b1", "duckdb 1.1.0", "duckdb 1.1.1"),
        case(tmp_path, "c", "duckdb 1.1.0", "duckdb 1.2.0"),
    ])  # fmt: skip
    assert found == [
        Pair("duckdb 1.1.0", "duckdb 1.1.1", ("b1", "b2")),
        Pair("duckdb 1.1.0", "duckdb 1.2.0", ("c",)),
    ]


def test_a_finding_matches_when_it_reproduces_on_the_buggy_release_and_not_on_the_fix():
    pair = Pair("duckdb 1.1.0", "duckdb 1.1.1", ("b",))
    verdicts = {
        1: {"duckdb 1.1.0": REPRODUCES, "duckdb 1.1.1": FIXED},
        2: {"duckdb 1.1.0": REPRODUCES, "duckdb 1.1.1": REPRODUCES},  # another, unfixed bug
        3: {"duckdb 1.1.0": REPRODUCES, "duckdb 1.1.1": UNKNOWN},  # cannot tell
        4: {"duckdb 1.1.0": UNKNOWN, "duckdb 1.1.1": FIXED},
    }
    result = match(pair, verdicts)
    assert result.findings == [1]
    assert result.status == "rediscovered"


def test_a_pair_of_several_bugs_is_indistinguishable_and_a_pair_without_fix_unconfirmed():
    both = match(Pair("d 1", "d 2", ("x", "y")), {7: {"d 1": REPRODUCES, "d 2": FIXED}})
    assert both.status == "indistinguishable" and both.findings == [7]
    open_bug = match(Pair("mariadb 10.11.19", None, ("m",)), {3: {"mariadb 10.11.19": REPRODUCES}})
    assert open_bug.status == "unconfirmed" and open_bug.findings == [3]
    assert match(Pair("d 1", "d 2", ("z",)), {}).status == "missed"


def test_a_finding_fixed_by_an_earlier_fix_of_the_same_release_belongs_to_that_fix():
    early = Pair("duckdb 1.1.0", "duckdb 1.1.1", ("index",))
    late = Pair("duckdb 1.1.0", "duckdb 1.1.2", ("in-subquery",))
    verdicts = {
        1: {"duckdb 1.1.0": REPRODUCES, "duckdb 1.1.1": FIXED, "duckdb 1.1.2": FIXED},
        2: {"duckdb 1.1.0": REPRODUCES, "duckdb 1.1.1": REPRODUCES, "duckdb 1.1.2": FIXED},
    }
    first, second = match_all([early, late], verdicts)
    assert first.findings == [1] and second.findings == [2]


def test_recall_counts_only_single_bug_pairs_as_confirmed():
    results = [
        PairResult("d 1", "d 2", ["a"], [1]),
        PairResult("d 1", "d 3", ["b", "c"], [2, 3]),
        PairResult("m 1", None, ["m"], [4]),
        PairResult("d 4", "d 5", ["e"], []),
    ]
    assert summary(results, 5) == {
        "bugs": 5, "rediscovered": 1, "recall_confirmed": 0.2, "recall_upper": 0.8,
    }  # fmt: skip


def test_every_public_case_has_a_fixing_release_unless_it_is_about_the_local_server():
    for c in cases(("known-bugs",)):
        assert c.fixed is not None or c.buggy.local, c.path.name
        if c.fixed:
            assert c.fixed.engine == c.buggy.engine and c.fixed.version != c.buggy.version
