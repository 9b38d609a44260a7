"""`fuzz triage` as a user meets it: list, show, mark, export, promote, recheck, merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import files_under
from test_triage_store import BUG_A, BUG_B, bug, norec

from fuzzer.cli import cli
from fuzzer.engines import connect
from oracles.finding import EngineInfo, Finding
from triage.recheck import Verdict, recheck
from triage.store import Store, StoreError

XSS = "<script>alert(1)</script>"


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with a frequent bug, a rarer one and a quiet one, shared through the env."""
    store_path = tmp_path / "store" / "triage.db"
    monkeypatch.setenv("SQLPARITY_STORE", str(store_path))
    with Store.open(store_path) as store:
        for n in range(3):
            store.record(bug(BUG_A, table=f"t{n}", version=f"3.45.{n}"))
        store.record(bug(BUG_B, title="HAVING [bold]drops[/bold] the NULL group"))
        quiet = store.record(bug(("select",), oracle="norec")).finding_id
        store.mark(quiet, "not-a-bug")
    return store_path


def fuzz(*args: str) -> Result:
    return CliRunner().invoke(cli, ["triage", *args], prog_name="fuzz")


def test_list_json_is_the_queue_sorted_by_occurrences(path: Path) -> None:
    result = fuzz("list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(f["id"], f["occurrences"], f["status"]) for f in listed] == [
        (1, 3, "new"),
        (2, 1, "new"),
    ]
    assert {"id", "status", "oracle", "engine", "occurrences", "title"} <= listed[0].keys()
    assert listed[0]["engine"] == "sqlite" and listed[0]["oracle"] == "tlp"


def test_list_filters(path: Path) -> None:
    def ids(*args: str) -> list[int]:
        result = fuzz("list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [f["id"] for f in json.loads(result.output)]

    assert ids("--status", "all") == [1, 2, 3]
    assert ids("--status", "not-a-bug") == [3]
    assert ids("--status", "open", "--status", "not-a-bug") == [1, 2, 3]
    assert ids("--status", "all", "--oracle", "norec") == [3]
    assert ids("--engine", "duckdb") == []
    assert ids("--since", "1d") == [1, 2]
    assert ids("--since", "2999-01-01") == []
    assert ids("--search", "HAVING") == [2]
    assert fuzz("list", "--since", "yesterday").exit_code == 2


def test_list_prints_a_table_without_interpreting_markup(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = fuzz("list")
    assert result.exit_code == 0
    assert "[bold]drops[/bold]" in result.output
    assert "not-a-bug" not in result.output


@pytest.mark.parametrize("columns", ["40", "60", "80"])
def test_list_keeps_id_status_hits_and_the_whole_title_at_any_width(
    path: Path, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    lines = fuzz("list").output.splitlines()
    assert lines[0].split()[:4] == ["id", "status", "hits", "title"]
    assert lines[1].split()[:3] == ["1", "new", "3"]
    start = lines[0].index("title")
    end = lines[0].index("oracle") if "oracle" in lines[0] else None
    titles = " ".join(" ".join(line[start:end].split()) for line in lines[1:])
    assert "HAVING [bold]drops[/bold] the NULL group" in titles


def test_show_never_cuts_the_sql(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    out = fuzz("show", "1").output
    assert "SELECT * FROM t0 WHERE (CAST(c0 AS TEXT) = 1);" in out.splitlines()


def test_show_gives_versions_results_and_the_sql(path: Path) -> None:
    result = fuzz("show", "1")
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in ("3.45.0", "3.45.1", "3.45.2", "Expected", "Actual", "(no rows)", "tlp/where"):
        assert expected in out
    assert "SELECT * FROM t0 WHERE (CAST(c0 AS TEXT) = 1)" in out
    assert "first seen" in out  # the history


def test_mark_moves_a_finding_out_of_the_queue(path: Path) -> None:
    result = fuzz("mark", "1", "--status", "reported", "--url", "https://bugs.example/1")
    assert result.exit_code == 0, result.output
    assert "#1 new -> reported" in result.output
    assert [f["id"] for f in json.loads(fuzz("list", "--json").output)] == [2]

    refused = fuzz("mark", "1", "--status", "duplicate")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("fuzz: error: a duplicate needs --of N")
    assert fuzz("mark", "1", "--status", "duplicate", "--of", "2").exit_code == 0


def test_bad_input_is_one_line_and_exit_2(path: Path, tmp_path: Path) -> None:
    missing = fuzz("show", "99")
    assert (missing.exit_code, missing.stderr) == (2, f"fuzz: error: no finding 99 in {path}\n")
    nowhere = fuzz("list", "--store", str(tmp_path / "nowhere.db"))
    assert nowhere.exit_code == 2 and "no triage store" in nowhere.stderr
    assert not (tmp_path / "nowhere.db").exists()


#: every triage verb that opens the store, with the arguments it needs past --store
TRIAGE_VERBS = [
    ("list",),
    ("show", "1"),
    ("mark", "1", "--status", "confirmed"),
    ("export", "1"),
    ("promote", "1", "--to", "promoted"),
    ("recheck", "sqlite:"),
    ("merge", "OTHER"),
    ("serve", "--port", "1"),
]


@pytest.mark.parametrize("how", ["--store", "SQLPARITY_STORE"])
def test_every_verb_refuses_a_store_it_cannot_use_in_one_line_and_writes_nothing(
    bad_stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    other = tmp_path / "other.db"
    Store.open(other).close()
    monkeypatch.chdir(tmp_path)
    before = files_under(tmp_path)
    for kind, store in bad_stores.items():
        for verb in TRIAGE_VERBS:
            args = [str(other) if a == "OTHER" else a for a in verb]
            if how == "--store":
                result = fuzz(*args, "--store", str(store))
            else:
                monkeypatch.setenv("SQLPARITY_STORE", str(store))
                result = fuzz(*args)
            what = (kind, how, verb[0], result.output)
            assert result.exit_code == 2, what
            assert result.stderr.startswith("fuzz: error: "), what
            assert len(result.stderr.splitlines()) == 1 and result.exception is not None, what
            assert isinstance(result.exception, SystemExit), what  # not a traceback
            assert result.stdout == "", what
    assert files_under(tmp_path) == before


def test_the_store_says_what_is_wrong_with_it(bad_stores: dict[str, Path]) -> None:
    expected = {
        "a directory": "is a directory",
        "a read-only file": "is read-only",
        "a file in a read-only directory": "is in a read-only directory",
        "not a SQLite file": "is not a triage store: file is not a database",
    }
    for kind, store in bad_stores.items():
        with pytest.raises(StoreError, match=expected[kind]):
            Store.open(store)
    with pytest.raises(StoreError, match="is not a directory"):
        Store.open(bad_stores["not a SQLite file"] / "triage.db")
    with pytest.raises(StoreError, match=r"cannot create a triage store at .*: .* is read-only"):
        Store.open(bad_stores["a file in a read-only directory"].parent / "new" / "triage.db")


def test_export_is_a_markdown_report_with_escaped_values(tmp_path: Path) -> None:
    finding = Finding(
        oracle="diff",
        variant="rows",
        engine=EngineInfo("duckdb", "1.1.3", "duckdb", "duckdb:"),
        reference=EngineInfo("postgresql", "17.2", "postgres", "postgresql://fuzz@db/x"),
        setup=("CREATE TABLE t0(c0 TEXT)", f"INSERT INTO t0 VALUES ('{XSS}|x')"),
        queries=("SELECT c0, length(c0) FROM t0",),
        expected={"columns": ["c0", "length"], "rows": [[f"{XSS}|x", 27]]},
        actual={"columns": ["c0", "length"], "rows": [[None, 27]]},
        features=("length", "select"),
        title="length() of a NULL <b>string</b>",
    )
    with Store.open(tmp_path / "s.db") as store:
        store.record(finding)
    result = fuzz("export", "1", "--store", str(tmp_path / "s.db"))
    assert result.exit_code == 0, result.output
    report = result.output
    assert report.startswith("# length() of a NULL &lt;b&gt;string&lt;/b&gt;\n")
    assert "- **Engine:** duckdb 1.1.3" in report
    assert "- **Compared with:** postgresql 17.2" in report
    setup = "## Setup\n\n```sql\nCREATE TABLE t0(c0 TEXT);\nINSERT INTO t0 VALUES ("
    assert setup in report
    assert "## Query\n\n```sql\nSELECT c0, length(c0) FROM t0;\n```" in report
    assert "| c0 | length |" in report
    assert "| &lt;script&gt;alert(1)&lt;/script&gt;\\|x | 27 |" in report
    assert "| NULL | 27 |" in report
    assert report.count(XSS) == 1  # only inside the SQL code block


def test_promote_copies_the_shortest_script_into_the_corpus(path: Path, tmp_path: Path) -> None:
    with Store.open(path) as store:
        store.save_reduced(1, "CREATE TABLE t(c);\nSELECT CAST(c AS TEXT) FROM t WHERE c;\n")
        signature = store.get(1).signature
    result = fuzz("promote", "1", "--to", str(tmp_path / "corpus"))
    assert result.exit_code == 0, result.output
    promoted = tmp_path / "corpus" / f"{signature}.sql"
    assert result.output.strip() == str(promoted)
    assert promoted.read_text().endswith("SELECT CAST(c AS TEXT) FROM t WHERE c;\n")


def test_merge_folds_another_store(path: Path, tmp_path: Path) -> None:
    with Store.open(tmp_path / "other.db") as other:
        other.record(bug(BUG_A, table="elsewhere"))
        other.record(bug(("select", "union")))
    result = fuzz("merge", str(tmp_path / "other.db"))
    assert result.exit_code == 0, result.output
    assert "1 new finding(s), 2 occurrence(s)" in result.output
    assert json.loads(fuzz("list", "--json").output)[0]["occurrences"] == 4


def crash(title: str, statement: str, reference: EngineInfo | None = None) -> Finding:
    with connect("sqlite:") as sqlite:
        info = EngineInfo(sqlite.name, "3.0.0", "sqlite", "sqlite:")
    return Finding(
        oracle="crash" if reference is None else "diff",
        variant="error" if reference is None else "rows",
        engine=info,
        reference=reference,
        setup=("CREATE TABLE t0(c0)",),
        queries=(statement,),
        expected=None,
        actual={"error": "XX000"},
        features=(title,),
        title=title,
    )


def test_recheck_marks_what_no_longer_reproduces_fixed_in_the_version(tmp_path: Path) -> None:
    store_path = tmp_path / "s.db"
    postgres = EngineInfo("postgresql", "17.2", "postgres", "postgresql://db/x")
    with Store.open(store_path) as store:
        gone = store.record(crash("gone", "SELECT * FROM t0")).finding_id
        differential = store.record(crash("diff", "SELECT 1", reference=postgres)).finding_id
        quiet = store.record(crash("quiet", "SELECT abs(2)")).finding_id
        store.mark(quiet, "not-a-bug")

    result = fuzz("recheck", "sqlite:", "--store", str(store_path))
    assert result.exit_code == 0, result.output
    with connect("sqlite:") as sqlite:
        version = sqlite.version
    assert f"2 rechecked on sqlite {version}: marked 1 fixed" in result.output
    with Store.open(store_path) as store:
        fixed = store.get(gone)
        assert (fixed.status, fixed.fixed_in) == ("fixed", version)
        assert version in store.history(gone)[-1].note
        assert store.get(differential).status == "new"  # needs its reference: not judged
        assert store.get(quiet).status == "not-a-bug"


def test_recheck_speaks_json(tmp_path: Path) -> None:
    store_path = tmp_path / "s.db"
    with Store.open(store_path) as store:
        gone = store.record(crash("gone", "SELECT * FROM t0")).finding_id
    result = fuzz("recheck", "sqlite:", "--store", str(store_path), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    told = json.loads(result.output)
    assert (told["rechecked"], told["fixed"], told["dry_run"]) == (1, 1, True)
    assert told["findings"] == [{"id": gone, "title": "gone", "verdict": "fixed"}]


def test_recheck_only_marks_a_clear_no(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store, connect("sqlite:") as sqlite:
        ids = [store.record(crash(n, f"SELECT {n}(1)")).finding_id for n in ("a", "b", "c")]
        answers = dict(zip(ids, (True, None, False), strict=True))

        def replay(finding: Finding, engine: object) -> bool | None:
            return answers[next(i for i in ids if store.get(i).title == finding.title)]

        dry = recheck(store, sqlite, replay=replay, dry_run=True)
        assert [r.verdict for r in dry] == [Verdict.REPRODUCES, Verdict.UNKNOWN, Verdict.FIXED]
        assert {f.status for f in store.findings(status=None)} == {"new"}

        recheck(store, sqlite, replay=replay)
        assert [store.get(i).status for i in ids] == ["new", "new", "fixed"]


@pytest.mark.parametrize("verb", ["export", "promote"])
def test_an_output_path_that_cannot_be_written_is_one_line(path: Path, verb: str) -> None:
    blocker = path.parent / "a-file"
    blocker.write_text("")
    option = "-o" if verb == "export" else "--to"
    where = [option, str(blocker / "inside")]
    result = fuzz(verb, "1", *where)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fuzz: error: cannot "), result.output
    assert "Traceback" not in result.output


def test_show_lists_every_oracle_that_flagged_one_root_cause(path: Path) -> None:
    with Store.open(path) as store:
        assert store.record(norec(bug(BUG_A, table="t5"))).finding_id == 1
    out = fuzz("show", "1").output
    assert "Evidence" in out and "tlp/where" in out and "norec/count" in out
    assert "Evidence" not in fuzz("show", "2").output
