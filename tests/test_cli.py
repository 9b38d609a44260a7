"""The `fuzz` command line as a user meets it: verbs, one-line errors, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import MYSQL_URL, POSTGRES_URL, open_engine


def fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzer", *args], capture_output=True, text=True, timeout=120
    )


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
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "pw-x" not in result.stderr
