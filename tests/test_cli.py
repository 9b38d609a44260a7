"""The `fuzz` command line as a user meets it: verbs, one-line errors, exit statuses."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest
from conftest import MYSQL_URL, POSTGRES_URL, files_under, open_engine

from triage.store import Store


def fuzz(*args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None
         ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run `fuzz ARGS`; `env` adds variables to this one's (None: removes one)."""
    ours = ("SQLPARITY_TARGET", "SQLPARITY_REFERENCE", "SQLPARITY_STORE")
    environ = {k: v for k, v in os.environ.items() if k not in ours}
    for key, value in (env or {}).items():
        environ.pop(key, None)
        if value is not None:
            environ[key] = value
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args], capture_output=True, text=True, timeout=120,
        cwd=cwd, env=environ,
    )  # fmt: skip


def test_help_lists_the_verbs():
    result = fuzz("--help")
    assert result.returncode == 0
    for verb in ("run", "reduce", "check", "triage", "generate", "engines"):
        assert f"  {verb} " in result.stdout, verb


def test_engines_check_reports_every_engine():
    for key in ("postgres", "mysql"):
        open_engine(key).close()  # skips locally, fails in CI, when a server is down
    result = fuzz("engines", "check", "--json", "sqlite:", "duckdb:", POSTGRES_URL, MYSQL_URL)
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["dialect"] for r in reports] == ["sqlite", "duckdb", "postgres", "mysql"]
    assert all(r["version"] and r["scratch_created"] for r in reports)


def test_engines_check_prints_name_and_version():
    result = fuzz("engines", "check", "sqlite:")
    assert result.returncode == 0
    assert "sqlite 3." in result.stdout and "created, dropped" in result.stdout


def test_unreachable_server_is_one_line_and_nonzero():
    result = fuzz("engines", "check", "postgresql://nobody@127.0.0.1:1/x")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_unknown_scheme_and_bad_credentials_are_one_line():
    for url in ("nosuch://x/y", "mysql://nobody:pw-x@127.0.0.1:3306/test"):
        result = fuzz("engines", "check", url)
        assert result.returncode != 0
        # besides the warning that a password was on the command line
        errors = [e for e in result.stderr.splitlines() if not e.startswith("fuzz: warning:")]
        assert len(errors) == 1, result.stderr
        assert "pw-x" not in result.stderr


def one_line_exit_2(result: subprocess.CompletedProcess[str], what: object = None) -> str:
    """The stderr line of a bad input, after checking its shape."""
    what = what or (result.args[3:], result.stderr)
    assert result.returncode == 2, what
    assert result.stderr.startswith("fuzz: error: "), what
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, what
    return result.stderr


def test_every_verb_that_takes_a_store_refuses_a_bad_one_in_one_line(bad_stores, tmp_path):
    case = tmp_path / "case.sql"
    case.write_text("CREATE TABLE t0 (c0 INT);\nINSERT INTO t0 VALUES (1);\n"
                    "SELECT c0 FROM t0 WHERE c0 > 0;\n")  # fmt: skip
    before = files_under(tmp_path)
    for kind, store in bad_stores.items():
        for args in (
            ("run", "--checks", "5", "--workers", "1", "--store", str(store)),
            ("check", str(case), "--store", str(store)),
            ("reduce", "1", "--store", str(store)),
        ):
            one_line_exit_2(fuzz(*args, cwd=tmp_path), (kind, args))
        by_env = fuzz("run", "--checks", "5", "--workers", "1", cwd=tmp_path,
                      env={"SQLPARITY_STORE": str(store)})  # fmt: skip
        one_line_exit_2(by_env, kind)
    assert files_under(tmp_path) == before  # and no run was recorded anywhere


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--workers", "0"),
        ("run", "--timeout", "0"),
        ("run", "--timeout", "-1"),
        ("run", "--timeout", "1e12"),
        ("run", "--checks-per-state", "0"),
        ("run", "--seed", "-1"),
        ("run", "--seed", str(2**63)),
        ("run", "--shard", "3/2"),
        ("run", "--shard", "half"),
        ("run", "--duration", "0"),
        ("run", "--duration", "-5m"),
        ("run", "--duration", "soon"),
        ("run", "--checks", "0"),
        ("run", "--reduce-time", "0"),
        ("run", "--no-such-option"),
        ("check", "--timeout", "0", "case.sql"),
        ("reduce", "case.sql", "--max-time", "0"),
        ("reduce", "case.sql", "--max-time", "-3"),
        ("reduce", "case.sql", "--timeout", "0"),
        ("engines", "check", "--timeout", "0", "sqlite:"),
        ("triage", "recheck", "--timeout", "0", "sqlite:"),
        ("generate", "-n", "-1"),
        ("generate", "--depth", "0"),
    ],
)
def test_out_of_range_options_are_one_line_and_exit_2(args, tmp_path):
    (tmp_path / "case.sql").write_text("SELECT 1;\n")
    one_line_exit_2(fuzz(*args, cwd=tmp_path))
    assert list(tmp_path.iterdir()) == [tmp_path / "case.sql"]  # no store was created


PROFILES = {
    "not TOML": "accept = [\n",
    "an unknown key": '[[accept]]\nvariantt = "rows"\n',
    "an unknown variant": '[[accept]]\nvariant = "row"\n',
}


@pytest.mark.parametrize("kind", sorted(PROFILES))
def test_a_bad_profile_is_one_line_and_exit_2_in_run_and_check(kind, tmp_path):
    (tmp_path / "p.toml").write_text(PROFILES[kind])
    (tmp_path / "case.sql").write_text("SELECT 1;\n")
    for verb in (("run", "--checks", "5"), ("check", "case.sql")):
        error = one_line_exit_2(fuzz(*verb, "-r", "duckdb:", "--profile", "p.toml",
                                     cwd=tmp_path))  # fmt: skip
        assert "p.toml" in error
    assert not (tmp_path / "triage.db").exists()


def test_fuzz_run_takes_a_profile(tmp_path):
    (tmp_path / "p.toml").write_text(
        '[[accept]]\nvariant = "rows"\nfeature = "op:/"\nreason = "division"\n'
    )
    result = fuzz("run", "-t", "duckdb:", "-r", "sqlite:", "--profile", "p.toml", "--checks",
                  "20", "--workers", "1", "--json", cwd=tmp_path)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("which", ["--target", "--reference"])
def test_an_unreachable_engine_in_fuzz_run_records_no_run(tmp_path, which):
    store = tmp_path / "store.db"
    down = "postgresql://nobody@127.0.0.1:1/x"
    args = ("--target", down) if which == "--target" else ("--reference", down)
    result = fuzz("run", *args, "--checks", "5", "--workers", "1", "--store", str(store),
                  cwd=tmp_path)  # fmt: skip
    assert "cannot connect to postgresql://nobody@127.0.0.1:1/x" in one_line_exit_2(result)
    assert not store.exists()  # not even an empty store
    Store.open(store).close()
    again = fuzz("run", *args, "--checks", "5", "--workers", "1", "--store", str(store),
                 cwd=tmp_path)  # fmt: skip
    one_line_exit_2(again)
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_urls_can_come_from_the_environment(tmp_path):
    env = {"SQLPARITY_TARGET": "duckdb:"}
    checked = fuzz("engines", "check", "--json", cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["engine"] == "duckdb"
    (tmp_path / "case.sql").write_text("CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1);\n"
                                       "SELECT a / 2 FROM t WHERE a > 0;\n")  # fmt: skip
    env["SQLPARITY_REFERENCE"] = "sqlite:"  # integer division: SQLite 0, DuckDB 0.5
    diff = fuzz("check", "--json", "--oracle", "diff", "case.sql", cwd=tmp_path, env=env)
    assert diff.returncode == 1, diff.stderr
    assert json.loads(diff.stdout)["findings"][0]["engine"] == "duckdb"
    env["SQLPARITY_REFERENCE"] = None
    ran = fuzz("run", "--checks", "20", "--workers", "1", "--no-reduce", "--json",
               "--store", str(tmp_path / "s.db"), cwd=tmp_path, env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[-1])["engines"][0].startswith("duckdb ")


def postgres_with_password() -> tuple[str, str]:
    """The test server's URL with a password in it (trust auth takes any), and the password."""
    open_engine("postgres").close()  # skips locally, fails in CI, when the server is down
    parts = urlsplit(POSTGRES_URL)
    if parts.password:
        return POSTGRES_URL, parts.password
    netloc = f"{parts.username or 'postgres'}:s3cret-pw@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc)), "s3cret-pw"


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(parent, []).append(int(proc.name))
    found, todo = [], [pid]
    while todo:
        found.extend(kids := children.get(todo.pop(), []))
        todo.extend(kids)
    return found


def test_a_password_never_shows_in_the_command_line_of_fuzz_run_or_its_workers(tmp_path):
    url, password = postgres_with_password()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzer", "run", "--target", url, "--workers", "2",
         "--duration", "60s", "--no-reduce", "--json", "--store", str(tmp_path / "s.db")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(600):  # until both workers run (they are spawned after the check)
            workers = [p for p in descendants(proc.pid)
                       if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]  # fmt: skip
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2, proc.poll()
        seen = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()
                for pid in [proc.pid, *descendants(proc.pid)]}  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    assert b"postgresql://postgres:***@" in seen[proc.pid], seen[proc.pid]
    for pid, cmdline in seen.items():
        assert password.encode() not in cmdline, (pid, cmdline)
    assert proc.returncode == 0, stderr
    assert "fuzz: warning: a password on the command line" in stderr
    assert "PGPASSWORD" in stderr and password not in stderr + stdout


def test_a_password_from_the_environment_is_used_and_not_warned_about(tmp_path):
    url, password = postgres_with_password()
    result = fuzz("engines", "check", cwd=tmp_path, env={"SQLPARITY_TARGET": url})
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr and password not in result.stdout


def test_mysql_takes_a_password_from_mysql_pwd_or_an_option_file(tmp_path):
    open_engine("mysql").close()  # skips locally, fails in CI, when the server is down
    root = urlsplit(MYSQL_URL)
    admin = pymysql.connect(host=root.hostname, port=root.port or 3306, user=root.username,
                            password=root.password or "", autocommit=True)  # fmt: skip
    user, password = f"sqlparity_pw_{secrets.token_hex(3)}", f"pw-{secrets.token_hex(4)}"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
            cur.execute(f"GRANT ALL ON `sqlparity\\_%`.* TO '{user}'@'%'")
        url = f"mysql://{user}@{root.hostname}:{root.port or 3306}/"
        refused = fuzz("engines", "check", url, cwd=tmp_path, env={"MYSQL_PWD": None})
        assert refused.returncode == 2 and "Access denied" in refused.stderr, refused.stderr
        by_env = fuzz("engines", "check", url, cwd=tmp_path, env={"MYSQL_PWD": password})
        assert by_env.returncode == 0, by_env.stderr
        options = tmp_path / "my.cnf"
        options.write_text(f"[client]\npassword={password}\n")
        by_file = fuzz("engines", "check", f"{url}?read_default_file={options}", cwd=tmp_path,
                       env={"MYSQL_PWD": None})  # fmt: skip
        assert by_file.returncode == 0, by_file.stderr
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()
