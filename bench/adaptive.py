"""Adaptive generation: how fast does `fuzz run` reach valid SQL on an engine that lacks
features? The share of statements that ran without error, per 10 s, from scratch and then
again with the table the first run learned (the same store, other seeds).

    python bench/adaptive.py --target duckdb: --minutes 2 \\
        --python ~/.cache/sqlparity/known-bugs/duckdb_0.6.1-numpy_2/bin/python
    python bench/adaptive.py --target sqlite: --dialect postgres   # a lesser engine

`--python` runs sqlparity (this checkout) with another environment's engine release, as
tests/test_known_bugs.py does. Numbers, never assertions: a bench, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 10.0


def run(python: str, target: str, store: Path, seconds: int, seed: int, workers: int,
        dialect: str | None) -> list:  # fmt: skip
    """The counters `fuzz run --json` printed, every few seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [python, "-m", "fuzzer", "run", "-t", target, "--duration", f"{seconds}s",
               "--json", "--store", str(store), "--seed", str(seed), "--workers", str(workers),
               "--no-reduce", *(["--dialect", dialect] if dialect else [])]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"fuzz run printed nothing: {done.stderr[-2000:]}")
    return lines


def windows(lines: list) -> list[dict]:
    """Valid share per window, from the cumulative counters."""
    out, last = [], {"elapsed": 0.0, "queries": 0, "ok": 0}
    for line in lines:
        ok = round(line["ok_share"] * line["queries"])
        if line["elapsed"] - last["elapsed"] < WINDOW and not line["final"]:
            continue
        n = line["queries"] - last["queries"]
        if n > 0:
            out.append({"until": round(line["elapsed"]), "statements": n,
                        "valid": round((ok - last["ok"]) / n, 3),
                        "features_off": sum(line.get("features_off", {}).values())})  # fmt: skip
        last = {"elapsed": line["elapsed"], "queries": line["queries"], "ok": ok}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="duckdb:")
    parser.add_argument("--python", default=sys.executable, help="the engine's environment")
    parser.add_argument("--minutes", type=float, default=2.0, help="per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dialect", help="speak this dialect to the target (fuzz run --dialect)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    seconds = int(args.minutes * 60)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "triage.db"
        report = {}
        for name, seed in (("from scratch", args.seed), ("learned table", args.seed + 1)):
            lines = run(args.python, args.target, store, seconds, seed, args.workers, args.dialect)
            final = lines[-1]
            report[name] = {"engines": final["engines"], "valid": final["ok_share"],
                            "elapsed": final["elapsed"], "statements": final["queries"],
                            "features_off": final.get("features_off", {}),
                            "errors": final["errors"], "failed": final["failed"],
                            "windows": windows(lines)}  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return 0
    for name, r in report.items():
        print(f"{name}: {', '.join(r['engines'])}, valid {r['valid']:.1%} of "
              f"{r['statements']} statements in {r['elapsed']:.0f} s, features off "
              f"{r['features_off']}, errors {r['errors']}")  # fmt: skip
        for w in r["windows"]:
            print(f"  until {w['until']:>4} s  {w['statements']:>6} statements  "
                  f"valid {w['valid']:.1%}  off {w['features_off']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
