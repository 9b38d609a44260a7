"""Interestingness tests: does a candidate script still show *the same* problem?

A reducer is only as good as its test: too loose and it turns a wrong-result bug into a syntax
error, too strict and nothing gets smaller. Each test runs a whole script from an empty scratch
space (`Engine.reset`, never a reconnect) and answers yes or no:

- `SameError`: a statement fails with the given SQLSTATE (or engine code); in "same error"
  mode also with the same engine code, and in a statement of the same kind (SELECT, INSERT...).
- `Crash`: the server dies or drops the connection.
- `SameFinding`: `fuzz check`'s oracles report a finding of the same problem
  (`oracles.problem`): the same oracle and variant (for the differential, the same kind of
  divergence), the same direction, SQLSTATE pair and differing columns with their types.
- `Command`: any shell command that exits 0 on the candidate file, as with C-Vise.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fuzzer.engines import Engine, Failure, Refused
from fuzzer.errors import ErrorCategory, SQLState
from fuzzer.script import tokens
from oracles import oracle_class
from oracles.checker import Checker, Script, ScriptRejected
from oracles.finding import Finding
from oracles.problem import Problem, problem_of


class Interesting(Protocol):
    def __call__(self, statements: Sequence[str]) -> bool: ...

    def describe(self) -> str: ...


def script_text(statements: Sequence[str]) -> str:
    return "".join(f"{s};\n" for s in statements)


def verb(statement: str) -> str:
    toks = tokens(statement)
    return toks[0].upper if toks else ""


def fresh(engine: Engine) -> None:
    """An empty scratch space; a connection a crash left dead is replaced first."""
    try:
        engine.reset()
    except Exception:  # the driver's own error type: the server may be gone
        engine.reconnect()
        engine.reset()


def run(engine: Engine, statements: Sequence[str]) -> list[Failure | None]:
    """Run a script from scratch; the failure of each statement, or None where it succeeded."""
    fresh(engine)
    seen: list[Failure | None] = []
    for statement in statements:
        try:
            outcome = engine.execute(statement)
        except Refused as exc:  # a candidate the guard will not run cannot show the problem
            outcome = Failure(SQLState.INSUFFICIENT_PRIVILEGE, "sqlparity:refused", exc.reason)
        seen.append(outcome if isinstance(outcome, Failure) else None)
        if isinstance(outcome, Failure) and outcome.connection_lost:
            engine.reconnect()
            break
    return seen


@dataclass
class SameError:
    engine: Engine
    error: str  # a SQLSTATE, or the engine's own code
    code: str | None = None  # "same error" mode: the engine's code must match too
    kind: str | None = None  # ... and the failing statement's first keyword

    @classmethod
    def like(cls, engine: Engine, failure: Failure, statement: str) -> SameError:
        return cls(engine, failure.sqlstate, failure.code, verb(statement))

    def __call__(self, statements: Sequence[str]) -> bool:
        seen = zip(run(self.engine, statements), statements, strict=False)  # stops at a crash
        return any(f is not None and self.matches(f, s) for f, s in seen)

    def matches(self, failure: Failure, statement: str) -> bool:
        return (
            self.error in (failure.sqlstate, failure.code)
            and (self.code is None or failure.code == self.code)
            and (self.kind is None or verb(statement) == self.kind)
        )

    def describe(self) -> str:
        exact = f" ({self.code}) in a {self.kind}" if self.code else ""
        return f"error {self.error}{exact} on {self.engine.name}"


@dataclass
class Crash:
    """The engine dies or drops the connection, or fails with an error of a category in
    `shows` (a crash finding's: an internal error, a hang). `restart`: each candidate runs
    on a fresh engine (a new engine host for a contained one), so that no earlier
    candidate's damage to the process makes a later one crash."""

    engine: Engine
    shows: tuple[ErrorCategory, ...] = ()
    restart: bool = False

    def __call__(self, statements: Sequence[str]) -> bool:
        if self.restart:
            self.engine.restart()
        return any(f is not None and (f.connection_lost or f.category in self.shows)
                   for f in run(self.engine, statements))  # fmt: skip

    def describe(self) -> str:
        also = "/".join(c.value for c in self.shows if c is not ErrorCategory.CONNECTION)
        errors = f" or {also} error" if also else ""
        return f"crash or lost connection{errors} on {self.engine.name}"


@dataclass
class SameFinding:
    """`fuzz check` reports the same problem: with `problem` set, exactly that one (direction,
    SQLSTATE pair, differing columns and types), else any of the same oracle and variant.
    Confirmation is left to the reducer, which re-checks its final result several times, so
    trials run each probe once."""

    checker: Checker
    oracle: str
    variant: str
    problem: Problem | None = None

    @classmethod
    def like(cls, checker: Checker, finding: Finding) -> SameFinding:
        """The test that keeps exactly the problem `finding` shows."""
        return cls(checker, finding.oracle, finding.variant, problem_of(finding))

    def __call__(self, statements: Sequence[str]) -> bool:
        return self.found(statements) is not None

    def found(self, statements: Sequence[str], name: str = "candidate.sql") -> Finding | None:
        """The finding the script shows, of the same problem."""
        script = Script.of(Path(name), statements)
        try:
            return next((f for f in self.checker.check(script) if self.same(f)), None)
        except ScriptRejected:
            return None

    def same(self, finding: Finding) -> bool:
        if (finding.oracle, finding.variant) != (self.oracle, self.variant):
            return False
        return self.problem is None or problem_of(finding) == self.problem

    def describe(self) -> str:
        engines = self.checker.target.name
        if oracle_class(self.oracle).needs_reference and self.checker.reference is not None:
            engines += f" vs {self.checker.reference.name}"
        what = self.problem.describe() if self.problem else f"{self.oracle}/{self.variant}"
        return f"{what} on {engines}"


@dataclass
class Command:
    """A user's command; `{}` in it is replaced by the candidate's path, else it is appended."""

    command: str
    timeout: float = 60.0
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sqlparity_")))

    def __call__(self, statements: Sequence[str]) -> bool:
        path = self.directory / "case.sql"
        path.write_text(script_text(statements), encoding="utf-8")
        quoted = shlex.quote(str(path))
        cmd = self.command.replace("{}", quoted) if "{}" in self.command \
            else f"{self.command} {quoted}"  # fmt: skip
        env = {**os.environ, "SQLPARITY_CASE": str(path)}
        try:
            done = subprocess.run(cmd, shell=True, cwd=self.directory, env=env,
                                  capture_output=True, timeout=self.timeout)  # fmt: skip
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def describe(self) -> str:
        return f"command exits 0: {self.command}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            (self.directory / "case.sql").unlink()
            self.directory.rmdir()


def last_failure(engine: Engine, statements: Sequence[str]) -> tuple[Failure, str] | None:
    """The script's last failing statement: usually the one that shows the problem."""
    seen = zip(run(engine, statements), statements, strict=False)  # stops at a crash
    found = [(f, s) for f, s in seen if f is not None]
    return found[-1] if found else None


def first_finding(checker: Checker, statements: Sequence[str], oracle: str | None = None
                  ) -> tuple[str, str] | None:  # fmt: skip
    """(oracle, variant) of the first confirmed finding `fuzz check` reports on the script."""
    found = finding_on(checker, statements, oracle)
    return None if found is None else (found.oracle, found.variant)


def finding_on(checker: Checker, statements: Sequence[str], oracle: str | None = None,
               variant: str | None = None) -> Finding | None:  # fmt: skip
    """The first confirmed finding `fuzz check` reports on the script (of that oracle and
    variant, when given)."""
    try:
        for f in checker.check(Script.of(Path("case.sql"), statements)):
            if (oracle is None or f.oracle == oracle) and variant in (None, f.variant):
                return f
    except ScriptRejected:
        return None
    return None
