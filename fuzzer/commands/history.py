"""`fuzz check --history FILE.json`: check a recorded transaction history, without an engine.

The history (oracles.isolation.history's JSON: transactions, their operations and outcomes)
may come from sqlparity's isolation oracle or from any tool that records list-append and
register operations. It is checked against `--expect` (default: `--isolation`), less what an
`--isolation-profile` accepts at `--isolation` (of any dialect: a history names no engine).
Exit status: 1 when the level forbids an anomaly found, 0 when not, 2 on bad input.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from fuzzer.console import EXIT_FOUND, fail, out
from oracles.isolation.checker import Checker
from oracles.isolation.history import History
from oracles.isolation.profile import IsolationProfile


def check_histories(
    paths: tuple[Path, ...],
    expect: str,
    profile: str | None,
    isolation: str,
    as_json: bool,
) -> None:
    try:
        accepted = IsolationProfile.named(profile).accepted(None, isolation)
        histories = [(p, History.load(p)) for p in paths]
    except ValueError as exc:
        fail(str(exc))
    found_any = False
    results = []
    for path, history in histories:
        start = time.process_time()
        try:
            report = Checker(history).check()
        except ValueError as exc:
            fail(f"{path}: {exc}")
        seconds = time.process_time() - start
        forbidden = report.forbidden(expect, accepted)
        found_any |= bool(forbidden)
        results.append({"path": str(path), "txns": report.txns, "edges": report.edges,
                        "seconds": round(seconds, 3), "expect": expect,
                        "anomalies": [str(a) for a in forbidden]})  # fmt: skip
        if not as_json:
            out.print(f"{path}: {report.txns} transactions, {report.edges} dependencies, "
                      f"{len(forbidden)} anomalies {expect} forbids", markup=False)  # fmt: skip
            for anomaly in forbidden:
                out.print(f"  {anomaly}", markup=False)
    if as_json:
        print(json.dumps(results))
    sys.exit(EXIT_FOUND if found_any else 0)
