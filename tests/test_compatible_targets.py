"""PostgreSQL-compatible servers as targets of real fuzzing jobs, as their teams use them.

Each of conftest's second PostgreSQLs (pgserver's 16 on a Unix socket, PGlite's 18 serving one
connection at a time) is the target of a short `fuzz run`: alone under the default oracles, and
against the test server's PostgreSQL 15 under the differential at full width (one dialect). The
seeds meet no known divergence of either release, so a finding here is news, and each run must
stay valid on the target: the quirks of these servers (socket only, a separate OS user, one
connection, a database name that is ignored) must not cost it its checks.
"""

from __future__ import annotations

import pytest
from conftest import POSTGRES_URL, open_engine
from test_run import final, fuzz_run

CHECKS = 150


@pytest.mark.parametrize("oracles", [(), ("-r", POSTGRES_URL, "--oracle", "diff")],
                         ids=["default-oracles", "diff-against-15"])  # fmt: skip
def test_a_short_run_on_a_compatible_target_is_valid_and_quiet(
    second_postgres: str, oracles: tuple[str, ...], tmp_path
) -> None:
    if oracles:
        open_engine("postgres").close()  # the reference: skipped locally, failed in CI when down
    result = fuzz_run(
        "--target", second_postgres, *oracles, "--checks", str(CHECKS), "--workers", "1",
        "--seed", "1", "--no-reduce", "--json", "--store", str(tmp_path / "s.db"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = final(result.stdout)
    assert summary["checks"] >= CHECKS and summary["crashes"] == 0, summary
    assert summary["findings_new"] == 0, summary
    assert summary["ok_share"] > 0.95 and summary["nonempty_share"] > 0.3, summary
