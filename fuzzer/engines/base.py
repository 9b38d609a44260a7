"""The one small interface every engine implements.

An engine owns a *scratch space*: a database (or schema, or file) that sqlparity created for
itself. Everything a fuzzing run creates lives there, and `close()` drops only that.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from fuzzer.engines.scratch import SCRATCH_PREFIX, scratch_name  # noqa: F401 (engines' import)
from fuzzer.errors import ErrorCategory, SQLState, category

if TYPE_CHECKING:
    from fuzzer.engines.leftovers import Leftovers
    from fuzzer.guard import Guard

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_ROWS = 100_000
#: The code of a statement whose connection the watchdog closed (see `hung`).
HANG = "sqlparity:hang"


class EngineError(Exception):
    """The engine cannot be used at all: bad URL, unreachable server, refused credentials.

    Its message is one line, fit for a user, and never contains a password.
    """


class Refused(EngineError):
    """A statement sqlparity will not run, because it would act outside the scratch space.

    Raised before any of the statement runs, by a guarded engine (see `Engine.guarded`).
    """

    def __init__(self, statement: str, reason: str) -> None:
        self.statement, self.reason = statement, reason
        text = " ".join(statement.split())
        super().__init__(f"refused to run `{text[:80]}{'...' if len(text) > 80 else ''}`: {reason}")


@dataclass(frozen=True)
class EngineURL:
    """A parsed engine URL. The password is kept out of every printed form."""

    scheme: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str | None = None  # a server database name, or a file path for embedded engines
    query: str = field(default="", repr=False)  # may hold a password=

    @classmethod
    def parse(cls, url: str) -> EngineURL:
        if ":" not in url:
            raise EngineError(
                f"not an engine URL: {url!r} (expected e.g. sqlite: or postgresql://host/db)"
            )
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as exc:
            raise EngineError(f"bad port in engine URL {redact(url)}") from exc
        # As in SQLAlchemy: `sqlite:///rel.db` is relative, `sqlite:////abs.db` absolute.
        path = unquote(parts.path)
        database = path[1:] if path.startswith("/") else path
        # Not `parts.hostname`: it lower-cases, and a socket path (`%2Fvar%2Frun`) keeps its case.
        hostinfo = parts.netloc.rpartition("@")[2]
        if not hostinfo.startswith("["):
            hostinfo = hostinfo.rsplit(":", 1)[0] if port is not None else hostinfo.rstrip(":")
        return cls(
            scheme=parts.scheme.lower(),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            host=(parts.hostname if hostinfo.startswith("[") else unquote(hostinfo)) or None,
            port=port,
            database=database or None,
            query=parts.query,
        )

    def __str__(self) -> str:
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        host = self.host or ""
        if "/" in host:
            host = quote(host, safe="")
        elif ":" in host:
            host = f"[{host}]"
        hostport = host + (f":{self.port}" if self.port else "")
        query = "&".join(
            f"{k}={'***' if k in SECRET_OPTIONS else v}" for k, v in self.options.items()
        )
        if not hostport and not auth:
            path = "///" + self.database if self.database else ""
            return f"{self.scheme}:{path}{'?' * bool(query)}{query}"
        return f"{self.scheme}://{auth}{hostport}/{self.database or ''}{'?' * bool(query)}{query}"

    @property
    def options(self) -> dict[str, str]:
        """The query parameters, for the driver: none is dropped."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def scrub(self, text: str) -> str:
        """Remove the password from a message that an engine or a driver produced."""
        secrets_ = [self.password] + [v for k, v in self.options.items() if k in SECRET_OPTIONS]
        for secret in filter(None, secrets_):
            text = text.replace(secret, "***")
        return text


#: query parameters that hold a secret (libpq, PyMySQL)
SECRET_OPTIONS = frozenset({"password", "sslpassword", "passwd"})


def redact(url: str) -> str:
    """A URL string with its password replaced, for messages about unparsable URLs."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Rows:
    """A statement that succeeded; `columns` is empty for statements that return no rows."""

    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    elapsed: float = 0.0

    ok: ClassVar[bool] = True


@dataclass(frozen=True)
class Failure:
    """A statement that failed, normalised to a portable SQLSTATE plus the engine's own words."""

    sqlstate: str
    code: str  # the engine's own error code or exception kind
    message: str
    elapsed: float = 0.0

    ok: ClassVar[bool] = False

    @property
    def category(self) -> ErrorCategory:
        return category(self.sqlstate)

    @property
    def connection_lost(self) -> bool:
        return self.category is ErrorCategory.CONNECTION


Outcome = Rows | Failure


def too_many_rows(limit: int, elapsed: float) -> Failure:
    """sqlparity's own limit, so that one runaway cross join cannot exhaust a worker's memory."""
    message = f"result exceeds {limit} rows"
    return Failure(SQLState.PROGRAM_LIMIT_EXCEEDED, "sqlparity:max-rows", message, elapsed)


def hung(elapsed: float) -> Failure:
    """A statement the engine would not stop: sqlparity gave its connection up."""
    message = f"ignored its timeout and cancel: connection closed after {elapsed:.0f} s"
    return Failure(SQLState.QUERY_CANCELED, HANG, message, elapsed)


class Engine(ABC):
    """A connection to one engine, working inside its own scratch space."""

    #: the SQL dialect the generator must speak to this engine
    dialect: ClassVar[str]
    #: URL schemes this engine answers to
    schemes: ClassVar[tuple[str, ...]]

    #: True for a server that serves one connection at a time: nothing may run beside it
    single_connection: bool = False
    #: the engine runs in the process that opens it (False for a server), so an engine host
    #: can hold it alone (`fuzzer.engines.hosted.contained`)
    in_process: ClassVar[bool] = True
    #: the statement classifier of a server engine (see fuzzer.guard), once it knows the catalog
    statement_guard: Guard | None = None

    def __init__(
        self,
        url: EngineURL,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        guard: bool = True,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_rows = max_rows
        #: Statements that sqlparity did not generate itself (a user's script, a stored
        #: finding) run guarded: `admit` refuses whatever would act outside the scratch space.
        self.guarded = guard

    # -- identity ---------------------------------------------------------------------------

    @property
    @abstractmethod
    def name(self) -> str:
        """The engine's product name (`mariadb`, `postgresql`, ...), as detected."""

    @property
    @abstractmethod
    def version(self) -> str:
        """The exact version the engine reports of itself."""

    @property
    @abstractmethod
    def scratch(self) -> str:
        """Where this engine's work lives: a database, schema or file name."""

    #: where the engine really is: the host and port or the socket a server engine connected to
    endpoint: str = "in-process"
    #: the role or user scratch sessions run as, as the server names it (None without users)
    runs_as: str | None = None
    #: why scratch sessions run as the URL's own user rather than a role of their own
    runs_as_note: str | None = None

    @classmethod
    def leftovers(cls, url: EngineURL) -> Leftovers | None:
        """What killed runs left of their scratch spaces where `url` points, to be swept.

        None for engines whose scratch space ends with its process (in memory) or is a file
        the user named, which the next engine on that path takes over.
        """
        return None

    # -- work -------------------------------------------------------------------------------

    def execute(self, sql: str) -> Outcome:
        """Run one statement under the timeout; never raises for an SQL error.

        A guarded engine raises `Refused`, having run nothing, for a statement that would act
        outside the scratch space. A driver that fails with an exception of its own (not an
        SQL error) gives a `Failure` of category DRIVER: a worker never dies of it.
        """
        if self.guarded:
            self.admit(sql)
        start = time.perf_counter()
        try:
            return self._execute(sql)
        except EngineError:
            raise
        except Exception as exc:
            message = self.url.scrub(f"{type(exc).__name__}: {exc}".splitlines()[0])
            return Failure(
                SQLState.SYSTEM_ERROR,
                f"sqlparity:driver:{type(exc).__name__}",
                message,
                time.perf_counter() - start,
            )

    #: the driver can run SQL's PREPARE and EXECUTE as its protocol's own prepared statements
    #: (see `protocol`)
    binds: ClassVar[bool] = False
    #: it does so now
    _protocol: bool = False

    @contextlib.contextmanager
    def protocol(self) -> Iterator[None]:
        """Meanwhile, `PREPARE name(type, ...) AS query` runs as the driver's protocol
        prepares a named statement (`unknown`: a type the server infers), and `EXECUTE
        name('value', ...)` as it executes one, the values sent as the strings written (the
        text format); other statements as ever. Only where `binds`."""
        if not self.binds:
            raise EngineError(f"{self.name}: the driver has no prepared statements of its own")
        self._protocol = True
        try:
            yield
        finally:
            self._protocol = False

    def execute_many(
        self, statements: Sequence[str], before: Callable[[str], object] | None = None
    ) -> Iterator[Outcome]:
        """Run statements in order, yielding each outcome as `execute` would give it.

        `before` sees each statement before it runs (the statement log). An engine behind a
        pipe sends them all at once (fuzzer.engines.hosted); a caller that stops early must
        close the iterator.
        """
        for sql in statements:
            if before is not None:
                before(sql)
            yield self.execute(sql)

    def admit(self, sql: str) -> None:
        """Raise `Refused` when `sql` would act outside the scratch space.

        Engines whose driver has a mechanism of its own (SQLite's authorizer) enforce it there
        as well; this is the check that runs before anything is sent.
        """
        if self.statement_guard is not None:
            self.statement_guard.admit(sql)

    @abstractmethod
    def _execute(self, sql: str) -> Outcome:
        """Run one statement under the timeout; return a Failure for an SQL error."""

    @abstractmethod
    def reset(self) -> None:
        """Empty the scratch space, so that a new script starts from nothing."""

    @abstractmethod
    def _open(self) -> None:
        """Connect to the scratch space (creating it first where that is this engine's way)."""

    def install(self, extension: str) -> bool:
        """Make an extension that scripts may not create themselves usable in the scratch
        space (pgvector, which PostgreSQL does not trust); False where the engine cannot."""
        return False

    def reconnect(self) -> None:
        """Open a new connection to the same scratch space after a lost one."""
        self._disconnect()
        self._open()

    def restart(self) -> None:
        """Start afresh: a new process for an engine held in one of its own (an engine host),
        else a new connection. A crash is judged after it, so that no earlier statement's
        damage to the process counts."""
        self.reconnect()

    def companion(self) -> Engine:
        """Another session in this engine's scratch space, for an oracle that needs several at
        once (the isolation oracle's clients). Closing it only disconnects: the scratch space
        stays this engine's (a server engine's `close` drops nothing once `_closed`).
        """
        if self.single_connection or self.endpoint == "in-process":
            raise EngineError(f"{self.name} serves one session at a time: no second one")
        other = copy.copy(self)
        other._conn = None  # type: ignore[attr-defined]
        other._watchdog = None  # type: ignore[attr-defined]
        other._closed = True  # type: ignore[attr-defined]
        other._open()
        return other

    def interrupt(self) -> None:
        """Ask the statement in progress to stop, from another thread; best effort.

        The watchdog's first stage where there is one; else the driver's own `interrupt()`
        (sqlite3 and apsw have one, safe from any thread); else the engine's timeout, which
        ends the statement anyway.
        """
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.fire()
            return
        interrupt = getattr(getattr(self, "_conn", None), "interrupt", None)
        if callable(interrupt):
            with contextlib.suppress(Exception):  # closed, or a driver that refuses
                interrupt()

    def _on_a_live_connection(
        self, work: Callable[[], None], errors: tuple[type[BaseException], ...], what: str
    ) -> None:
        """Do `work`; if the driver fails (a crash, a restart or a KILL left the connection
        dead), once more on a new connection. A second failure is one EngineError line."""
        try:
            work()
            return
        except errors:
            self._disconnect()
        try:
            work()
        except errors as exc:
            self._disconnect()
            raise EngineError(f"cannot {what} on {self.url}: {self._one_line(exc)}") from exc

    def _one_line(self, exc: BaseException) -> str:
        """The driver's message as one line, without the password (drivers refine it)."""
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        return self.url.scrub(lines[0] if lines else type(exc).__name__)

    def _disconnect(self) -> None:
        """Drop the connection (and its watchdog), whatever state the server left it in."""
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.close()
            self._watchdog = None
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):  # the server may have closed it already
                conn.close()
            self._conn = None

    @abstractmethod
    def close(self) -> None:
        """Drop the scratch space and disconnect. Safe to call twice."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


class Watchdog:
    """One thread per connection that acts on a statement still running at its deadlines.

    Its stages escalate: the first interrupts the statement (for engines whose timeout is not
    a server setting, such as DuckDB, or as a backstop for servers that ignore theirs); a later
    one may give the connection up, for servers that ignore the interrupt as well. Arming costs
    a lock, not a thread.
    """

    def __init__(self, *stages: Callable[[], object]) -> None:
        self._stages = stages
        self._cond = threading.Condition()
        self._deadlines: list[float] = []
        self._fired = 0
        self._closed = False
        self._thread = threading.Thread(target=self._watch, name="sqlparity-watchdog", daemon=True)
        self._thread.start()

    def arm(self, *seconds: float) -> None:
        """Run stage i if the statement still runs `seconds[i]` from now (one per stage)."""
        with self._cond:
            now = time.monotonic()
            self._deadlines = [now + s for s in seconds[: len(self._stages)]]
            self._fired = 0
            self._cond.notify()

    def disarm(self) -> int:
        """Stop watching; the number of stages that ran while the statement did."""
        with self._cond:
            self._deadlines = []
            return self._fired

    def fire(self) -> None:
        """Run the first stage now, on a thread of its own: interrupt whatever runs."""
        if self._stages:
            threading.Thread(target=_quietly, args=(self._stages[0],), daemon=True).start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                if self._fired >= len(self._deadlines):
                    self._cond.wait()
                    continue
                remaining = self._deadlines[self._fired] - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                stage = self._stages[self._fired]
                self._fired += 1
                # A stage may block (a cancel request to a server that never answers): it runs
                # on a thread of its own, so the next stage keeps its time and disarm its lock.
                threading.Thread(target=_quietly, args=(stage,), daemon=True).start()


def _quietly(action: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # the connection may be gone already
        action()
