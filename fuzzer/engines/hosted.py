"""An in-process engine run out of process: a pinned release, or the current one isolated.

`duckdb:?version=1.1.3`, `sqlite+apsw:?version=3.41.0` (and `sqlite:?version=...`, the same
through apsw) run that release in an engine host (`fuzzer.engines.host`) over a pipe, with the
release installed on first use (`fuzzer.engines.releases`). `duckdb:?isolate=1` runs the
installed DuckDB the same way, so that a segfault takes down the host and not the caller.

The host runs the engine's own module, with its guard and locks (DuckDB's settings, SQLite's
authorizer): a refusal crosses the pipe as `Refused`. A host that dies under a statement is
that release's crash: the statement's outcome is a lost connection (which the crash oracle
replays), and `reconnect` starts a new host. A statement that outlives its timeout and the
engine's interrupt by `HANG_GRACE` seconds gets its host killed, as a server connection is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import fuzzer
from fuzzer.engines.base import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    Engine,
    EngineError,
    EngineURL,
    Failure,
    Outcome,
    Refused,
    Watchdog,
    hung,
)
from fuzzer.engines.releases import Release
from fuzzer.errors import SQLState

#: URL options that are the host's, not the engine's
OPTIONS = ("version", "isolate")
#: seconds past the timeout before a statement's host is given up
HANG_GRACE = 10.0
#: the code of a statement whose engine host died under it
HOST_DIED = "sqlparity:host-died"


def wants_host(url: EngineURL) -> bool:
    options = url.options
    return "version" in options or options.get("isolate", "0") not in ("", "0", "false")


def contained(url: EngineURL) -> EngineURL | None:
    """The URL under which the engine runs in a process of its own, so that a crash takes
    down nothing else (a reduction beside a job, each trial in a new host): a hosted URL as
    it is, an in-process engine's with `isolate=1`; None for a server, which a crash would
    take down for everyone using it."""
    from fuzzer.engines import engine_class

    if wants_host(url):
        return url
    if not engine_class(url.scheme).in_process:
        return None
    query = urlencode([*url.options.items(), ("isolate", "1")])
    return dataclasses.replace(url, query=query)


class _HostDied(Exception):
    """The engine host exited (or was killed) before it answered."""


class HostedEngine(Engine):
    """The `Engine` of the URL's scheme, in an engine-host subprocess."""

    schemes = ()

    def __init__(
        self,
        url: EngineURL,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        guard: bool = True,
    ) -> None:
        from fuzzer.engines import engine_class

        super().__init__(url, timeout=timeout, max_rows=max_rows, guard=guard)
        options = url.options
        version = options.get("version")
        scheme = url.scheme
        self.release = Release.of(scheme, version) if version else None
        if self.release is not None and self.release.engine == "sqlite":
            scheme = "sqlite+apsw"  # a SQLite release is an apsw release
        rest = urlencode([(k, v) for k, v in options.items() if k not in OPTIONS])
        self._inner = dataclasses.replace(url, scheme=scheme, query=rest)
        self.dialect = engine_class(scheme).dialect  # type: ignore[misc]  # this engine's
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # one writer at a time: interrupt comes from anywhere
        self._watchdog = Watchdog(self._kill)
        self._killed = False
        self._name = self._version = self._scratch = ""
        self._open()

    # -- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def scratch(self) -> str:
        return self._scratch

    @property
    def endpoint(self) -> str:  # type: ignore[override]
        pid = self._proc.pid if self._proc is not None else "-"
        return f"engine host (pid {pid})"

    # -- the host ---------------------------------------------------------------------------

    def _command(self) -> tuple[list[str], dict[str, str]]:
        source = str(Path(fuzzer.__file__).resolve().parent.parent)
        if self.release is None:  # the installed engine, on this interpreter's own path
            path = os.pathsep.join([source, *filter(None, sys.path)])
            return [sys.executable, "-m", "fuzzer.engines.host"], {"PYTHONPATH": path}
        home = str(self.release.install())
        # -S: no site-packages, so the release's folder holds the only engine to import
        command = [sys.executable, "-S", "-m", "fuzzer.engines.host"]
        return command, {"PYTHONPATH": os.pathsep.join([home, source])}

    def _open(self) -> None:
        command, env = self._command()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the host)
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **env},
            start_new_session=True,  # the terminal's Ctrl-C is the caller's to pass on
        )
        self._killed = False
        try:
            answer = self._call(("open", self._inner, self.timeout, self.max_rows, self.guarded))
        except _HostDied:
            words = self._last_words()
            self._stop()
            raise EngineError(f"the engine host for {self.url} died on start: {words}") from None
        self._name, self._version, self._scratch, self.single_connection = answer
        if self.release is not None and not self._version.startswith(
            self.release.version.split(".post")[0][: len(self._version)]
        ):
            self.close()
            raise EngineError(f"{self.release} installed, but it reports version {self._version}")

    def _last_words(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit {self._proc.poll() if self._proc else None}"

    def _send(self, request: tuple[Any, ...]) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            raise _HostDied
        assert proc.stdin is not None
        try:
            with self._lock:
                pickle.dump(request, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                proc.stdin.flush()
        except OSError:
            raise _HostDied from None

    def _receive(self) -> tuple[Any, ...]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            return pickle.load(proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            proc.wait()
            raise _HostDied from None

    def _answer(self, reply: tuple[Any, ...]) -> Any:
        kind, *rest = reply
        if kind == "refused":
            raise Refused(*rest)
        if kind == "error":
            raise EngineError(rest[0])
        return rest[0]

    def _call(self, request: tuple[Any, ...]) -> Any:
        """Send one request and wait for its reply; `_HostDied` if the host died meanwhile."""
        self._send(request)
        return self._answer(self._receive())

    def _kill(self) -> None:
        self._killed = True
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()

    def _died(self, elapsed: float) -> Failure:
        if self._killed:
            return hung(elapsed)
        code = self._proc.returncode if self._proc is not None else None
        how = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit {code}"
        message = f"the engine host of {self.url} died ({how})"
        return Failure(SQLState.CONNECTION_FAILURE, HOST_DIED, message, elapsed)

    # -- work -------------------------------------------------------------------------------

    def admit(self, sql: str) -> None:
        """The host's engine guards every statement itself; a refusal comes back as one."""

    def _execute(self, sql: str) -> Outcome:
        (outcome,) = self._batch([sql])  # to its end: the host's final reply is read too
        return outcome

    def execute_many(
        self, statements: Sequence[str], before: Callable[[str], object] | None = None
    ) -> Iterator[Outcome]:
        """One round trip for many statements: the host streams their outcomes back."""
        rest = list(statements)
        while rest:
            if before is not None:
                for sql in rest:
                    before(sql)
            ran = 0
            for outcome in self._batch(rest):
                ran += 1
                yield outcome
            rest = rest[ran:]  # the host stopped after a timeout: the caller chose to go on

    def _batch(self, statements: list[str]) -> Iterator[Outcome]:
        """The outcomes of one `run` request; a caller that stops early waits out the rest."""
        start = time.perf_counter()
        self._watchdog.arm(self.timeout + HANG_GRACE)
        done = False
        try:
            self._send(("run", statements))
            while True:
                reply = self._receive()
                if reply[0] != "one":
                    done = True  # the final reply: a count, or a refusal that ended the batch
                    self._answer(reply)
                    return
                self._watchdog.arm(self.timeout + HANG_GRACE)
                yield reply[1]
                start = time.perf_counter()
        except _HostDied:
            done = True
            yield self._died(time.perf_counter() - start)
        finally:
            self._watchdog.disarm()
            if not done:
                self._drain()

    def _drain(self) -> None:
        """Read a batch's remaining replies, so that the next request gets its own."""
        with contextlib.suppress(_HostDied, Refused, EngineError):
            while self._receive()[0] == "one":
                pass

    def interrupt(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None and proc.poll() is None:
            with contextlib.suppress(OSError), self._lock:
                pickle.dump(("interrupt",), proc.stdin)
                proc.stdin.flush()

    def reset(self) -> None:
        try:
            self._call(("reset",))
        except _HostDied:
            self.restart()

    def reconnect(self) -> None:
        try:
            self._call(("reconnect",))
        except _HostDied:
            self.restart()

    def restart(self) -> None:
        self._stop()
        self._open()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError):
            if proc.stdout is not None:
                proc.stdout.close()
        self._stderr.close()

    def close(self) -> None:
        with contextlib.suppress(EngineError, _HostDied):
            self._call(("close",))
        self._stop()
        self._watchdog.close()
