"""The engine host: one in-process engine in a process of its own, served over a pipe.

`python -m fuzzer.engines.host` reads requests from stdin and writes replies to stdout, both
pickled (the two ends are one interpreter and one checkout, so pickle is exact and cheap: a
DuckDB `Decimal` or `date` crosses as itself). Run by `fuzzer.engines.hosted`, never by hand.

Requests are tuples: `("open", url, timeout, max_rows, guard)`, `("run", [sql, ...])`,
`("reset",)`, `("reconnect",)`, `("close",)` and `("interrupt",)`, which a reader thread serves
at once, while a statement runs. A reply is `("ok", value)`, `("refused", statement, reason)`
or `("error", message)`. A batch (`run`) is answered statement by statement, each outcome
written before the next statement starts (so a host that dies leaves the outcomes before the
statement that killed it), as `("one", outcome)`, then one final reply; it stops after a
statement that timed out, so that the caller, which counts timeouts, decides on the rest.
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
from typing import Any, BinaryIO

from fuzzer.engines import Engine, EngineError, Refused, engine_class
from fuzzer.errors import ErrorCategory

#: how long a host whose caller went away may take to close its engine before it just exits
ORPHAN_SECONDS = 10.0


class Host:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.engine: Engine | None = None

    def handle(self, request: tuple[Any, ...]) -> tuple[Any, ...]:
        op, *args = request
        try:
            if op == "open":
                url, timeout, max_rows, guard = args
                cls = engine_class(url.scheme)
                self.engine = cls(url, timeout=timeout, max_rows=max_rows, guard=guard)
                e = self.engine
                return ("ok", (e.name, e.version, e.scratch, e.single_connection))
            assert self.engine is not None, "open first"
            if op == "run":
                return ("ok", self.run(args[0]))
            if op == "reset":
                self.engine.reset()
            elif op == "reconnect":
                self.engine.reconnect()
            elif op == "close":
                self.engine.close()
            return ("ok", None)
        except Refused as exc:
            return ("refused", exc.statement, exc.reason)
        except EngineError as exc:
            return ("error", str(exc))

    def run(self, statements: list[str]) -> int:
        """Run a batch, sending each outcome as it comes; how many ran."""
        assert self.engine is not None
        for n, sql in enumerate(statements, 1):
            outcome = self.engine.execute(sql)
            self.reply(("one", outcome))
            if not outcome.ok and outcome.category is ErrorCategory.TIMEOUT:
                return n
        return len(statements)

    def reply(self, answer: tuple[Any, ...]) -> None:
        pickle.dump(answer, self.out, protocol=pickle.HIGHEST_PROTOCOL)
        self.out.flush()


def main() -> None:
    # The protocol owns the real stdout; anything else printed there (an engine's warning)
    # goes to stderr instead of corrupting it.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    source = sys.stdin.buffer
    host = Host(out)
    work: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                request = pickle.load(source)
            except (EOFError, OSError, pickle.UnpicklingError):
                work.put(None)  # the caller closed the pipe, or died
                # an engine stuck in its own code never sees that: it gets a little while
                orphaned = threading.Timer(ORPHAN_SECONDS, os._exit, args=(1,))
                orphaned.daemon = True
                orphaned.start()
                return
            if request[0] == "interrupt":
                if host.engine is not None:
                    host.engine.interrupt()
            else:
                work.put(request)

    threading.Thread(target=read, name="sqlparity-host-reader", daemon=True).start()
    while (request := work.get()) is not None:
        host.reply(host.handle(request))
        if request[0] == "close":
            return
    if host.engine is not None:  # the client went away without closing
        host.engine.close()


if __name__ == "__main__":
    main()
