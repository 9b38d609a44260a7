"""Benchmark `fuzz reduce` against C-Vise on generated cases, with the same interestingness test.

    python bench/reduce.py                    # 20 cases of 30-300 statements, 900 s caps
    python bench/reduce.py --quick            # 4 small cases, 60 s caps
    python bench/reduce.py --cases 10 --cap 300 --json

A case is a generated database plus generated queries (the generator's own SQL, so the
grammar knows it), with one injected statement that shows a problem: half the cases fail with
SQLite's integer overflow (SQLSTATE 22003), half diverge between SQLite and DuckDB on integer
division. C-Vise (Debian package `cvise`, run with --not-c) gets an interestingness script that
calls this file with --predicate, which runs exactly the test `fuzz reduce` runs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from fuzzer.dialects import render
from fuzzer.engines import connect
from fuzzer.generator import Generator, Options
from fuzzer.reduce.interesting import SameError, SameFinding, first_finding, script_text
from fuzzer.script import ScriptError, split, tokens

ROOT = Path(__file__).resolve().parent.parent
OVERFLOW = "abs(-9223372036854775808)"


@dataclass
class Case:
    name: str
    kind: str  # "error" or "diff"
    statements: list[str]
    test: str  # the --predicate argument: "error:22003" or "diff:<variant>"

    @property
    def flags(self) -> list[str]:
        if self.kind == "error":
            return ["--error", "22003"]
        return ["-r", "duckdb:", "--differs"]


def generate(seed: int, size: int) -> Case | None:
    """A case of `size` statements, or None when the injected problem does not show."""
    rng = random.Random(seed)
    kind = "error" if seed % 2 == 0 else "diff"
    g = Generator("sqlite", seed, Options(deterministic=True, portable=kind == "diff"))
    statements = [render(s, "sqlite") for s in g.database()]
    queries = [render(g.query(), "sqlite") for _ in range(max(0, size - len(statements) - 1))]
    if kind == "error":
        q = next((q for q in queries if q.startswith("SELECT ")), None)
        if q is None:
            return None
        prefix = "SELECT DISTINCT " if q.startswith("SELECT DISTINCT ") else "SELECT "
        injected = f"{prefix}{OVERFLOW} + 1 AS boom, {q[len(prefix) :]}"
    else:
        table, column = next(((t.name, c.name) for t in g.schema.tables if not t.view
                              for c in t.columns if c.family == "int"), (None, None))  # fmt: skip
        q = next((q for q in queries if q.startswith("SELECT ") and " WHERE " in q), None)
        if table is None or q is None:
            return None
        where = q[q.index(" WHERE ") :].split(" GROUP BY ")[0].split(" ORDER BY ")[0]
        injected = f"SELECT x.{column} / 2 AS half, q.* FROM {table} AS x, ({q}) AS q"
        injected = injected if "LIMIT" in q else injected + where.replace("WHERE", "WHERE 1 = 1 OR")
    queries.insert(rng.randrange(len(queries) + 1), injected)
    statements += queries
    test = _detect(kind, statements)
    return None if test is None else Case(f"case{seed:03d}", kind, statements, test)


def _detect(kind: str, statements: list[str]) -> str | None:
    if kind == "error":
        with connect("sqlite:") as engine:
            return "error:22003" if SameError(engine, "22003")(statements) else None
    with connect("sqlite:") as target, connect("duckdb:") as reference:
        from oracles.checker import Checker

        found = first_finding(Checker(target, ("diff",), reference), statements, "diff")
    return None if found is None else f"diff:{found[1]}"


def predicate(spec: str, path: Path) -> bool:
    """The interestingness test C-Vise runs: the same as `fuzz reduce`'s."""
    try:
        statements = split(path.read_text(encoding="utf-8", errors="replace"))
    except ScriptError:
        return False
    if not statements:
        return False
    kind, _, detail = spec.partition(":")
    if kind == "error":
        with connect("sqlite:") as engine:
            return SameError(engine, detail)(statements)
    from oracles.checker import Checker

    with connect("sqlite:") as target, connect("duckdb:") as reference:
        return SameFinding(Checker(target, ("diff",), reference, confirmations=0),
                           "diff", detail)(statements)  # fmt: skip


def count_tokens(text: str) -> int:
    try:
        return sum(len(tokens(s)) for s in split(text))
    except ScriptError:
        return len(text.split())


@dataclass
class Run:
    tokens: int
    seconds: float
    trials: int
    finished: bool


def run_ours(case: Case, path: Path, cap: float) -> Run:
    code = "from fuzzer.commands.reduce import reduce; reduce(prog_name='fuzz reduce')"
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), "--json", "--max-time", str(cap), *case.flags],
        capture_output=True, text=True, cwd=path.parent,
    )  # fmt: skip
    seconds = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"fuzz reduce failed on {case.name}: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    return Run(report["tokens_after"], seconds, report["trials"], not report["timed_out"])


def run_cvise(case: Case, path: Path, cap: float) -> Run:
    work = path.parent / "cvise"
    work.mkdir()
    target = work / "case.sql"
    shutil.copy(path, target)
    counter = work / "trials"
    script = work / "test.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"echo >> {counter}\n"
        f"exec {sys.executable} {Path(__file__).resolve()} --predicate '{case.test}' case.sql\n"
    )
    script.chmod(0o755)
    began = time.monotonic()
    proc = subprocess.Popen(
        ["cvise", "--not-c", "--timeout", "60", str(script), target.name],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        proc.wait(timeout=cap)
        finished = proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        finished = False
    seconds = time.monotonic() - began
    trials = len(counter.read_text().splitlines()) if counter.exists() else 0
    return Run(count_tokens(target.read_text(errors="replace")), seconds, trials, finished)


@click.command()
@click.option("--cases", default=20, show_default=True, help="How many cases.")
@click.option("--cap", default=900.0, show_default=True, help="Seconds per reducer and case.")
@click.option("--quick", is_flag=True, help="4 small cases, 60 s caps: a local smoke run.")
@click.option("--no-cvise", is_flag=True, help="Run only fuzz reduce.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--predicate", "spec", hidden=True, help="(for C-Vise) run one test and exit.")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def main(cases: int, cap: float, quick: bool, no_cvise: bool, as_json: bool, spec: str | None,
         path: Path | None) -> None:  # fmt: skip
    if spec is not None:
        assert path is not None
        sys.exit(0 if predicate(spec, path) else 1)
    if quick:
        cases, cap = min(cases, 4), min(cap, 60.0)
    sizes = (30, 80) if quick else (30, 300)
    use_cvise = not no_cvise and shutil.which("cvise") is not None
    rows = []
    seed = 0
    with tempfile.TemporaryDirectory(prefix="sqlparity-bench-") as tmp:
        while len(rows) < cases:
            seed += 1
            size = random.Random(seed).randint(*sizes)
            case = generate(seed, size)
            if case is None:
                continue
            folder = Path(tmp) / case.name
            folder.mkdir()
            path = folder / "case.sql"
            path.write_text(script_text(case.statements))
            row = {"case": case.name, "kind": case.test, "statements": len(case.statements),
                   "tokens": count_tokens(path.read_text()),
                   "ours": asdict(run_ours(case, path, cap))}  # fmt: skip
            if use_cvise:
                row["cvise"] = asdict(run_cvise(case, path, cap))
            rows.append(row)
            if not as_json:
                _print_row(row)
    summary = _summary(rows, use_cvise)
    if as_json:
        click.echo(json.dumps({"cases": rows, "summary": summary, "cap": cap}))
    else:
        click.echo(json.dumps(summary, indent=2))


def _print_row(row: dict) -> None:
    ours, cv = row["ours"], row.get("cvise")
    line = (
        f"{row['case']} {row['kind']:<12} {row['statements']:>4} stmts {row['tokens']:>6} tok"
        f" | ours {ours['tokens']:>5} tok {ours['seconds']:>6.1f} s {ours['trials']:>6} trials"
    )
    if cv is not None:
        line += (
            f" | cvise {cv['tokens']:>5} tok {cv['seconds']:>6.1f} s {cv['trials']:>6} trials"
            f"{'' if cv['finished'] else ' (capped)'}"
        )
    click.echo(line)


def _summary(rows: list[dict], use_cvise: bool) -> dict:
    def median(who: str, what: str) -> float:
        return statistics.median(r[who][what] for r in rows)

    out = {"cases": len(rows), "ours_median_tokens": median("ours", "tokens"),
           "ours_median_seconds": round(median("ours", "seconds"), 2),
           "ours_max_seconds": round(max(r["ours"]["seconds"] for r in rows), 2)}  # fmt: skip
    if use_cvise:
        out |= {"cvise_median_tokens": median("cvise", "tokens"),
                "cvise_median_seconds": round(median("cvise", "seconds"), 2),
                "cvise_capped": sum(not r["cvise"]["finished"] for r in rows)}  # fmt: skip
    return out


if __name__ == "__main__":
    main()
