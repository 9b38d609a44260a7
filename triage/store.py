"""The triage store: one SQLite file that turns hundreds of hits into one queue of problems.

    runs            who ran what, when: one row per `fuzz run`, `fuzz check`, `fuzz reduce`
    findings        one row per distinct problem (its signature), with a workflow status and a
                    materialised occurrence count, so that the queue never groups on page view
    occurrences     every hit, linked to its finding and its run
    cases           reproducers: the shortest original seen so far, and every reduction
    status_changes  the workflow history: each change with its note, link and timestamp
    target_features what each engine release did with the generator's features: compiled or
                    rejected, per kind of statement, and which are off (fuzzer.adaptive)

Several fuzzing workers write to one store at once. Every write is one `BEGIN IMMEDIATE`
transaction (WAL mode, a busy timeout, and a retry of the whole transaction while another
writer holds the lock), so an occurrence is either counted and stored, or neither, even when
its worker is killed mid-write.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import random
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import sqlite_utils

from fuzzer.adaptive import Evidence
from oracles.finding import EngineInfo, Finding
from oracles.signature import VERSION as SIGNATURE_VERSION
from oracles.signature import signature as root_signature

T = TypeVar("T")

#: how long a writer waits for another one before giving up (a whole-transaction retry loop
#: on top of SQLite's busy handler, which does not cover every busy case in WAL mode)
LOCK_PATIENCE = 60.0


class Status(StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"
    REPORTED = "reported"
    FIXED = "fixed"
    DUPLICATE = "duplicate"
    NOT_A_BUG = "not-a-bug"


#: the queue: findings that are work to do. The others are quiet: their new occurrences are
#: counted but do not bring them back (except a fixed finding that regresses)
OPEN = (Status.NEW, Status.CONFIRMED)


class StoreError(Exception):
    """A request the store cannot honour: an unknown finding, a bad status change, a newer schema.

    Its message is one line, fit for a user.
    """


def default_path() -> Path:
    """Where every command finds the store: `$SQLPARITY_STORE`, else `./.sqlparity/triage.db`."""
    return Path(os.environ.get("SQLPARITY_STORE") or Path(".sqlparity") / "triage.db")


def now() -> str:
    """UTC, to the second, in one fixed format so that text order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s:/@]*):[^\s@/]*@")
#: libpq and PyMySQL also take the password as a URL parameter
_QUERY_PASSWORD = re.compile(r"([?&](?:password|passwd)=)[^&\s]*", re.IGNORECASE)


def scrub(value: Any) -> Any:
    """The value with every `scheme://user:password@` and `?password=` password masked, at any
    depth.

    Findings arrive redacted; this is for what else producers hand over (settings, extras,
    messages, tracker links), so that no password ever reaches the file.
    """
    if isinstance(value, str):
        return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", value))
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- schema ---------------------------------------------------------------------------------
# The schema is written as DDL rather than built column by column: CHECK constraints keep the
# workflow honest, and a database engineer reads CREATE TABLE faster than Python dicts.

_STATUSES = ", ".join(f"'{s}'" for s in Status)

_TABLES = f"""
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,              -- global: the same run merged twice stays one run
    command TEXT NOT NULL,                 -- run, check, reduce
    started TEXT NOT NULL,
    finished TEXT,
    host TEXT,
    user TEXT,
    pid INTEGER,
    sqlparity TEXT,                        -- the version of sqlparity that ran
    engines TEXT NOT NULL DEFAULT '[]',    -- JSON [{{name, version, dialect, url}}]
    oracles TEXT NOT NULL DEFAULT '[]',    -- JSON list
    seed INTEGER,
    settings TEXT NOT NULL DEFAULT '{{}}',   -- JSON
    counters TEXT NOT NULL DEFAULT '{{}}',   -- JSON, the producer's own, set when it finishes
    occurrences INTEGER NOT NULL DEFAULT 0,
    new_findings INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    signature TEXT NOT NULL UNIQUE,
    oracle TEXT NOT NULL,
    variant TEXT NOT NULL,
    engine TEXT NOT NULL,
    engine_version TEXT NOT NULL,          -- the latest seen
    dialect TEXT NOT NULL,
    reference TEXT,                        -- the other engine of a differential
    reference_version TEXT,
    features TEXT NOT NULL,                -- JSON list, sorted
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ({_STATUSES})),
    status_at TEXT NOT NULL,
    url TEXT,                              -- the engine tracker's issue
    duplicate_of INTEGER REFERENCES findings(id),
    fixed_in TEXT,                         -- the engine version that no longer reproduces it
    occurrences INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL))
);
CREATE TABLE occurrences (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,              -- global: the same hit merged twice counts once
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    run_id INTEGER REFERENCES runs(id),
    seen TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    reference_version TEXT,
    seed INTEGER,
    position TEXT,
    sha TEXT NOT NULL,                     -- of the script: its case, if it became one
    extra TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    kind TEXT NOT NULL CHECK (kind IN ('original', 'reduced')),
    script TEXT NOT NULL,
    setup TEXT,                            -- JSON lists; NULL for a reduction given as text
    queries TEXT,
    expected TEXT,                         -- JSON
    actual TEXT,                           -- JSON
    message TEXT NOT NULL DEFAULT '',      -- title and actual as text, for full-text search
    statements INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    sha TEXT NOT NULL,
    engine_version TEXT,
    stats TEXT NOT NULL DEFAULT '{{}}',      -- JSON: the reducer's numbers
    created TEXT NOT NULL,
    UNIQUE (finding_id, sha)
);
CREATE TABLE status_changes (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    at TEXT NOT NULL,
    old_status TEXT,
    new_status TEXT NOT NULL,
    note TEXT,
    url TEXT,
    who TEXT
);
-- the queue: open findings by engine and oracle, most frequent first
CREATE INDEX findings_queue ON findings (status, engine, oracle, occurrences DESC);
CREATE INDEX findings_first_seen ON findings (first_seen);
CREATE INDEX occurrences_finding ON occurrences (finding_id, seen);
CREATE INDEX occurrences_run ON occurrences (run_id);
CREATE INDEX cases_best ON cases (finding_id, kind, bytes);
CREATE INDEX status_changes_finding ON status_changes (finding_id, at);
CREATE INDEX runs_started ON runs (started);
"""


def _create_tables(db: sqlite_utils.Database) -> None:
    db.executescript(_TABLES)


def _search_cases(db: sqlite_utils.Database) -> None:
    """Full-text search over the SQL and the messages, kept current by triggers."""
    db["cases"].enable_fts(["script", "message"], create_triggers=True)


def _target_features(db: sqlite_utils.Database) -> None:
    """The adaptive generator's learned table, by engine name and version. A feature that is
    off has its rows marked, or one row of kind '' when it has no counts."""
    db.executescript("""
CREATE TABLE target_features (
    engine TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,                    -- the statement kind: Insert, Select, ...
    feature TEXT NOT NULL,
    passed INTEGER NOT NULL DEFAULT 0,     -- statements with it that compiled
    failed INTEGER NOT NULL DEFAULT 0,     -- statements with it rejected at compile time
    off INTEGER NOT NULL DEFAULT 0 CHECK (off IN (0, 1)),
    updated TEXT NOT NULL,
    PRIMARY KEY (engine, version, kind, feature)
);
""")


def _root_signatures(db: sqlite_utils.Database) -> None:
    """Root-cause signatures (`oracles.signature`): every signature a finding was ever known
    by, so that a hit signed as before reaches the finding it was merged into; the oracle and
    variant of each occurrence (the evidence); and every finding re-signed, merging those
    whose new signatures coincide."""
    db.executescript("""
CREATE TABLE signatures (
    signature TEXT PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    version INTEGER NOT NULL,              -- oracles.signature.VERSION that computed it
    kind TEXT NOT NULL CHECK (kind IN ('original', 'reduced'))
);
CREATE INDEX signatures_finding ON signatures (finding_id);
ALTER TABLE occurrences ADD COLUMN oracle TEXT;
ALTER TABLE occurrences ADD COLUMN variant TEXT;
ALTER TABLE findings ADD COLUMN signature_version INTEGER NOT NULL DEFAULT 1;
INSERT INTO signatures SELECT signature, id, 1, 'original' FROM findings;
UPDATE occurrences SET
    oracle = (SELECT oracle FROM findings WHERE findings.id = occurrences.finding_id),
    variant = (SELECT variant FROM findings WHERE findings.id = occurrences.finding_id);
""")
    for (finding_id,) in db.execute("SELECT id FROM findings ORDER BY id").fetchall():
        if db.execute("SELECT 1 FROM findings WHERE id = ?", [finding_id]).fetchone() is None:
            continue  # merged into an earlier one
        signing = _signing_case(db, finding_id)
        if signing is not None:
            resign(db, finding_id, *signing)


def _bisect_range(db: sqlite_utils.Database) -> None:
    """What `fuzz bisect` found: the first published release that shows the finding and the
    first after it that no longer does (not `fixed_in`, which is the workflow's and goes with
    the status), and what it tested (JSON: engine, range, each release's verdict)."""
    db.executescript("""
ALTER TABLE findings ADD COLUMN regressed_in TEXT;
ALTER TABLE findings ADD COLUMN bisect_fixed_in TEXT;
ALTER TABLE findings ADD COLUMN bisect TEXT;
""")


def _engine_urls(db: sqlite_utils.Database) -> None:
    """The (redacted) URLs each hit was made on, so that `fuzz reduce ID` and `fuzz bisect ID`
    reach the same engine without being told. Older hits get their run's URL when that run
    had a single target."""
    db.executescript("""
ALTER TABLE occurrences ADD COLUMN engine_url TEXT;
ALTER TABLE occurrences ADD COLUMN reference_url TEXT;
""")
    for run_id, settings in db.execute("SELECT id, settings FROM runs").fetchall():
        try:
            chosen = json.loads(settings or "{}")
        except ValueError:
            continue
        targets = chosen.get("targets") or []
        if len(targets) == 1:
            db.execute(
                "UPDATE occurrences SET engine_url = ?, reference_url = ? WHERE run_id = ?",
                [targets[0], chosen.get("reference"), run_id],
            )


#: schema version N is reached by applying the first N migrations, in order; append only
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _create_tables, _search_cases, _target_features, _root_signatures, _bisect_range,
    _engine_urls,
)  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite_utils.Database, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema forward to `target`, each migration in its own immediate transaction.

    Safe when several processes open a new store at once: the version is read again under the
    write lock, so each migration runs exactly once. Returns the version reached.
    """
    for step in range(1, target + 1):

        def apply(step: int = step) -> None:
            if schema_version(db) < step:
                MIGRATIONS[step - 1](db)
                db.conn.execute(f"PRAGMA user_version = {step}")

        _immediate(db.conn, apply)
    return schema_version(db)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.conn.execute("PRAGMA user_version").fetchone()[0]


def _busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _immediate(conn: sqlite3.Connection, work: Callable[[], T]) -> T:
    """Run `work` in one write transaction; while another writer holds the lock, retry it all.

    `BEGIN IMMEDIATE` takes the write lock before the first read, so a transaction never has to
    upgrade a stale read snapshot (which WAL refuses without waiting).
    """
    delay = 0.005
    deadline = time.monotonic() + LOCK_PATIENCE
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work()
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.25)


# -- what the store hands back ----------------------------------------------------------------


class Recorded(NamedTuple):
    finding_id: int
    is_new: bool  # the first occurrence of this signature in this store


@dataclass(frozen=True)
class StoredFinding:
    """One row of the queue."""

    id: int
    signature: str
    oracle: str
    variant: str
    engine: str
    engine_version: str
    dialect: str
    reference: str | None
    reference_version: str | None
    features: tuple[str, ...]
    title: str
    status: str
    status_at: str
    url: str | None
    duplicate_of: int | None
    fixed_in: str | None
    occurrences: int
    first_seen: str
    last_seen: str
    #: `fuzz bisect`'s answer: first release showing it, first release after that without it
    regressed_in: str | None = None
    bisect_fixed_in: str | None = None
    bisect: str | None = None  # JSON: what the bisection tested
    signature_version: int = SIGNATURE_VERSION

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StoredFinding:
        """The finding of a row; columns added by later migrations are not its business."""
        known = {k: row[k] for k in cls.__dataclass_fields__}
        return cls(**{**known, "features": tuple(json.loads(row["features"]))})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "features": list(self.features)}


@dataclass(frozen=True)
class Case:
    """A reproducer script, with its parts when the producer gave them."""

    id: int
    finding_id: int
    kind: str  # original, reduced
    script: str
    setup: tuple[str, ...] | None
    queries: tuple[str, ...] | None
    expected: Any
    actual: Any
    statements: int
    bytes: int
    engine_version: str | None
    stats: dict[str, Any]
    created: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Case:
        def load(text: str | None) -> Any:
            return None if text is None else json.loads(text)

        setup, queries = load(row["setup"]), load(row["queries"])
        return cls(
            id=row["id"],
            finding_id=row["finding_id"],
            kind=row["kind"],
            script=row["script"],
            setup=None if setup is None else tuple(setup),
            queries=None if queries is None else tuple(queries),
            expected=load(row["expected"]),
            actual=load(row["actual"]),
            statements=row["statements"],
            bytes=row["bytes"],
            engine_version=row["engine_version"],
            stats=json.loads(row["stats"]),
            created=row["created"],
        )


@dataclass(frozen=True)
class StatusChange:
    at: str
    old_status: str | None
    new_status: str
    note: str | None
    url: str | None
    who: str | None


@dataclass(frozen=True)
class Flagged:
    """One oracle and variant that flagged a finding, and how often."""

    oracle: str
    variant: str
    occurrences: int


@dataclass(frozen=True)
class VersionHits:
    """How often one engine version hit a finding: the 'versions' part of a bug report."""

    engine_version: str
    occurrences: int
    first_seen: str
    last_seen: str


# -- the store --------------------------------------------------------------------------------


class Store:
    """A triage store. Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = True) -> Store:
        """Open (and create, and migrate forward) the store at `path` (default: default_path())."""
        path = Path(path) if path is not None else default_path()
        _writable_place(path, create)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create a triage store at {path}: {exc}") from exc
        conn = sqlite3.connect(path, timeout=LOCK_PATIENCE)
        try:
            store = cls(_prepare(conn), path)
            store._upgrade()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path} is not a triage store: {exc}") from exc
        except StoreError:
            conn.close()
            raise
        return store

    @classmethod
    def copy_of(cls, path: str | Path) -> Store:
        """An in-memory, migrated copy of the store at `path`, which stays untouched."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no triage store at {path}")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=LOCK_PATIENCE)
        try:
            conn = sqlite3.connect(":memory:")
            source.backup(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a triage store: {exc}") from exc
        finally:
            source.close()
        store = cls(_prepare(conn), None)
        store._upgrade()
        return store

    def _upgrade(self) -> None:
        found = schema_version(self.db)
        where = self.path or "the store"
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{where} has schema version {found}; this sqlparity knows up to "
                f"{SCHEMA_VERSION}: upgrade sqlparity"
            )
        foreign = found == 0 and self.db.table_names()
        if foreign or (found and not self.db["findings"].exists()):
            raise StoreError(f"{where} is not a triage store")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def write(self, work: Callable[[], T]) -> T:
        """Run `work` as one atomic write, retried while other writers hold the lock."""
        return _immediate(self.conn, work)

    # -- producers ----------------------------------------------------------------------------

    def start_run(
        self,
        command: str,
        *,
        engines: Sequence[EngineInfo] = (),
        oracles: Sequence[str] = (),
        seed: int | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> int:
        """Record that a producer started; its findings are then recorded with the run's id."""
        row = {
            "uid": uuid.uuid4().hex,
            "command": command,
            "started": now(),
            "host": socket.gethostname(),
            "user": _user(),
            "pid": os.getpid(),
            "sqlparity": _sqlparity_version(),
            "engines": _json(scrub([asdict(e) for e in engines])),
            "oracles": _json(list(oracles)),
            "seed": seed,
            "settings": _json(scrub(dict(settings or {}))),
        }
        return self.write(lambda: self.db["runs"].insert(row).last_pk)

    def finish_run(self, run_id: int, counters: Mapping[str, Any] | None = None) -> None:
        """Record that a run ended, with the producer's counters (checks, queries, errors...)."""
        self._require("runs", run_id)
        update = {"finished": now(), "counters": _json(scrub(dict(counters or {})))}
        self.write(lambda: self.db["runs"].update(run_id, update))

    def learned(self, engine: str, version: str) -> Evidence:
        """What the adaptive generator learned about this engine release so far."""
        evidence = Evidence()
        rows = self.db.execute(
            "SELECT kind, feature, passed, failed, off FROM target_features"
            " WHERE engine = ? AND version = ? ORDER BY kind, feature", [engine, version]
        ).fetchall()  # fmt: skip
        for kind, feature, passed, failed, off in rows:
            if kind:
                evidence.passed[kind, feature] += passed
                evidence.failed[kind, feature] += failed
            if off:
                evidence.off.add(feature)
        return evidence

    def save_learned(self, engine: str, version: str, evidence: Evidence) -> None:
        """Replace what is stored about this engine release by `evidence` (which includes
        what was loaded of it), in one transaction."""
        stamp = now()
        keys = sorted(set(evidence.passed) | set(evidence.failed))
        counted = {f for _, f in keys}
        rows = [
            {"engine": engine, "version": version, "kind": kind, "feature": feature,
             "passed": evidence.passed[kind, feature], "failed": evidence.failed[kind, feature],
             "off": int(feature in evidence.off), "updated": stamp}
            for kind, feature in [*keys, *(("", f) for f in sorted(evidence.off - counted))]
        ]  # fmt: skip

        def work() -> None:
            self.db.execute(
                "DELETE FROM target_features WHERE engine = ? AND version = ?", [engine, version]
            )
            self.db["target_features"].insert_all(rows)

        self.write(work)

    def record(self, finding: Finding, run_id: int | None = None) -> Recorded:
        """Store one hit: a new finding for a new signature, else one more occurrence of it."""
        seen = now()
        script = finding.script

        signature = finding.signature

        def work() -> Recorded:
            row = _signed(self.db, signature)
            if row is None:
                finding_id = self.db["findings"].insert(_finding_row(finding, seen)).last_pk
                self.db["signatures"].insert(
                    {"signature": signature, "finding_id": finding_id,
                     "version": SIGNATURE_VERSION, "kind": "original"}
                )  # fmt: skip
                note_change(self.db, finding_id, None, Status.NEW, "first seen", None, None)
                if run_id is not None:
                    self.db.execute(
                        "UPDATE runs SET new_findings = new_findings + 1 WHERE id = ?", [run_id]
                    )
            else:
                finding_id = row[0]
            add_occurrence(
                self.db,
                finding_id,
                {
                    "uid": uuid.uuid4().hex,
                    "run_id": run_id,
                    "seen": seen,
                    "engine_version": finding.engine.version,
                    "reference_version": finding.reference and finding.reference.version,
                    "seed": finding.seed,
                    "position": finding.position,
                    "sha": _sha(script),
                    "extra": _json(scrub(finding.extra)),
                    "oracle": finding.oracle,
                    "variant": finding.variant,
                    "engine_url": scrub(finding.engine.url) or None,
                    "reference_url": scrub(finding.reference and finding.reference.url) or None,
                },
            )
            keep_case(self.db, _case_row(finding_id, "original", finding, seen))
            return Recorded(finding_id, row is None)

        return self.write(work)

    def save_reduced(
        self,
        finding_id: int,
        reduced: Finding | str,
        stats: Mapping[str, Any] | None = None,
    ) -> int:
        """Keep a reduction of a finding (a reduced Finding, or just its script); returns its case.

        The shortest case, reduced before original, is the one `show`, `export` and `promote`
        use; a Finding (rather than a script) also lets `recheck` replay the reduction.
        """
        return self.keep_reduced(finding_id, reduced, stats)[0]

    def keep_reduced(
        self,
        finding_id: int,
        reduced: Finding | str,
        stats: Mapping[str, Any] | None = None,
    ) -> tuple[int, int]:
        """`save_reduced`, and the finding re-signed from the reduced Finding: when another
        finding has that signature, the two merge (`triage.merge.absorb`). Returns the case
        and the finding that now holds it."""
        self.get(finding_id)
        row = _case_row(finding_id, "reduced", reduced, now(), stats)

        def work() -> tuple[int, int]:
            case = keep_case(self.db, row, always=True)
            if isinstance(reduced, Finding):
                return case, resign(self.db, finding_id, reduced, "reduced")
            return case, finding_id

        return self.write(work)

    def evidence(self, finding_id: int) -> list[Flagged]:
        """The oracles and variants that flagged the finding, most hits first."""
        rows = self.db.execute(
            "SELECT coalesce(o.oracle, f.oracle), coalesce(o.variant, f.variant), count(*) "
            "FROM occurrences o JOIN findings f ON f.id = o.finding_id WHERE o.finding_id = ? "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2", [finding_id]
        ).fetchall()  # fmt: skip
        return [Flagged(*r) for r in rows]

    # -- the queue ----------------------------------------------------------------------------

    def get(self, finding_id: int) -> StoredFinding:
        for row in self.db.query("SELECT * FROM findings WHERE id = ?", [finding_id]):
            return StoredFinding.from_row(row)
        raise StoreError(f"no finding {finding_id} in {self.path or 'the store'}")

    def findings(
        self,
        *,
        status: str | Iterable[str] | None = None,
        engine: str | None = None,
        oracle: str | None = None,
        since: str | None = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> list[StoredFinding]:
        """Findings, most frequent first. `since` compares with first_seen (an ISO timestamp);
        `search` is full-text over the cases' SQL and messages."""
        where, params = [], []
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if engine is not None:
            where.append("engine = ?")
            params.append(engine)
        if oracle is not None:
            where.append("oracle = ?")
            params.append(oracle)
        if since is not None:
            where.append("first_seen >= ?")
            params.append(since)
        if search is not None:
            where.append(
                "id IN (SELECT finding_id FROM cases WHERE rowid IN "
                "(SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?))"
            )
            params.append(self.db.quote_fts(search))
        sql = "SELECT * FROM findings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurrences DESC, last_seen DESC, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [StoredFinding.from_row(row) for row in self.db.query(sql, params)]

    def queue(self, **filters: Any) -> list[StoredFinding]:
        """The work to do: open findings, most frequent first."""
        return self.findings(status=OPEN, **filters)

    def cases(self, finding_id: int) -> list[Case]:
        """A finding's cases, best first: reductions before originals, shortest first."""
        rows = self.db.query(
            "SELECT * FROM cases WHERE finding_id = ? ORDER BY kind = 'reduced' DESC, bytes, id",
            [finding_id],
        )
        return [Case.from_row(r) for r in rows]

    def best_case(self, finding_id: int) -> Case:
        cases = self.cases(finding_id)
        if not cases:
            raise StoreError(f"finding {finding_id} has no case")
        return cases[0]

    def replayable_case(self, finding_id: int) -> Case:
        """The shortest case with its statements split into setup and queries."""
        for case in self.cases(finding_id):
            if case.queries is not None:
                return case
        raise StoreError(f"finding {finding_id} has no replayable case")

    def reproducer(self, finding_id: int) -> Finding:
        """The finding rebuilt from its shortest replayable case, to replay, reduce or export."""
        stored, case = self.get(finding_id), self.replayable_case(finding_id)
        version = case.engine_version or stored.engine_version
        engine_url, reference_url = self._urls(finding_id)
        reference = None
        if stored.reference is not None:
            reference = EngineInfo(
                stored.reference, stored.reference_version or "", "", reference_url
            )
        return Finding(
            oracle=stored.oracle,
            variant=stored.variant,
            engine=EngineInfo(stored.engine, version, stored.dialect, engine_url),
            setup=case.setup or (),
            queries=case.queries or (),
            expected=case.expected,
            actual=case.actual,
            features=stored.features,
            title=stored.title,
            reference=reference,
        )

    def _urls(self, finding_id: int) -> tuple[str, str]:
        """The engine and reference URLs of the finding's latest hit that has them ("" if none)."""
        row = self.db.execute(
            "SELECT coalesce(engine_url, ''), coalesce(reference_url, '') FROM occurrences "
            "WHERE finding_id = ? AND engine_url IS NOT NULL ORDER BY seen DESC, id DESC LIMIT 1",
            [finding_id],
        ).fetchone()
        return (row[0], row[1]) if row else ("", "")

    def history(self, finding_id: int) -> list[StatusChange]:
        rows = self.db.query(
            "SELECT at, old_status, new_status, note, url, who FROM status_changes "
            "WHERE finding_id = ? ORDER BY at, id",
            [finding_id],
        )
        return [StatusChange(**r) for r in rows]

    def versions(self, finding_id: int) -> list[VersionHits]:
        rows = self.db.query(
            "SELECT engine_version, count(*) AS occurrences, min(seen) AS first_seen, "
            "max(seen) AS last_seen FROM occurrences WHERE finding_id = ? "
            "GROUP BY engine_version ORDER BY min(seen)",
            [finding_id],
        )
        return [VersionHits(**r) for r in rows]

    # -- the workflow -------------------------------------------------------------------------

    def mark(
        self,
        finding_id: int,
        status: str,
        *,
        note: str | None = None,
        url: str | None = None,
        duplicate_of: int | None = None,
        fixed_in: str | None = None,
        who: str | None = None,
    ) -> StoredFinding:
        """Move a finding through the workflow; every change is kept with its note and time.

        `url` (the tracker's issue) is kept across later changes; `duplicate_of` is required
        for, and only for, `duplicate`; `fixed_in` names the version that fixed it.
        """
        try:
            status = Status(status)
        except ValueError:
            known = ", ".join(Status)
            raise StoreError(f"unknown status {status!r} (known: {known})") from None
        if (status is Status.DUPLICATE) != (duplicate_of is not None):
            raise StoreError("a duplicate needs --of N, and only a duplicate takes it")
        if fixed_in is not None and status is not Status.FIXED:
            raise StoreError("only a fixed finding takes a fixed-in version")
        current = self.get(finding_id)
        if duplicate_of is not None:
            duplicate_of = self._canonical(duplicate_of)
            if duplicate_of == finding_id:
                raise StoreError(f"finding {finding_id} cannot be a duplicate of itself")

        def work() -> None:
            self.db["findings"].update(
                finding_id,
                {
                    "status": status.value,
                    "status_at": now(),
                    "url": scrub(url) if url is not None else current.url,
                    "duplicate_of": duplicate_of,
                    "fixed_in": fixed_in,
                },
            )
            note_change(self.db, finding_id, current.status, status, note, url, who)

        self.write(work)
        return self.get(finding_id)

    def record_bisect(
        self, finding_id: int, regressed_in: str | None, fixed_in: str | None, tested: dict
    ) -> StoredFinding:
        """Keep what `fuzz bisect` found; the status is the workflow's, and stays."""
        self._require("findings", finding_id)
        row = {"regressed_in": regressed_in, "bisect_fixed_in": fixed_in,
               "bisect": json.dumps(tested, sort_keys=True)}  # fmt: skip
        self.write(lambda: self.db["findings"].update(finding_id, row))
        return self.get(finding_id)

    def _canonical(self, finding_id: int) -> int:
        """Follow duplicate links to the finding that stands for them all."""
        seen: set[int] = set()
        found = self.get(finding_id)
        while found.duplicate_of is not None and found.id not in seen:
            seen.add(found.id)
            found = self.get(found.duplicate_of)
        return found.id

    def merge(self, other: str | Path) -> MergeStats:
        """Fold another store (e.g. from a fuzzing machine) into this one, deduplicating."""
        from triage.merge import merge

        return merge(self, other)

    def _require(self, table: str, pk: int) -> None:
        if self.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [pk]).fetchone() is None:
            raise StoreError(f"no {table[:-1]} {pk} in {self.path or 'the store'}")


@dataclass
class MergeStats:
    runs: int = 0
    findings: int = 0  # new to this store
    occurrences: int = 0
    cases: int = 0


def learned_at(path: str | Path | None, engine: str, version: str) -> Evidence:
    """What the store at `path` (default: default_path()) learned about this engine release;
    nothing if there is no store there. Raises StoreError for a file that is not one."""
    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        return Evidence()
    with Store.open(path, create=False) as store:
        return store.learned(engine, version)


# -- the writes, shared by record and merge (each runs inside an open transaction) ------------


def _signed(db: sqlite_utils.Database, signature: str) -> tuple[int] | None:
    """The finding known by this signature (now, or before it was re-signed or merged)."""
    return db.execute(
        "SELECT id FROM findings WHERE signature = :s "
        "UNION SELECT finding_id FROM signatures WHERE signature = :s LIMIT 1", {"s": signature}
    ).fetchone()  # fmt: skip


def resign(db: sqlite_utils.Database, finding_id: int, case: Finding, kind: str) -> int:
    """Sign the finding from `case` (its reduction, or its best case); if another finding
    already has that signature, the later of the two merges into the earlier. Returns the
    finding that holds the signature."""
    from triage.merge import absorb

    signature = root_signature(case, reduced=kind == "reduced")
    owner = _signed(db, signature)
    db.execute(
        "INSERT INTO signatures VALUES (?, ?, ?, ?) ON CONFLICT (signature) DO NOTHING",
        [signature, finding_id, SIGNATURE_VERSION, kind],
    )
    if owner is not None and owner[0] != finding_id:
        keep, gone = sorted((owner[0], finding_id))
        absorb(db, keep, gone)
        finding_id = keep
    db.execute(
        "UPDATE findings SET signature = ?, signature_version = ? WHERE id = ?",
        [signature, SIGNATURE_VERSION, finding_id],
    )
    return finding_id


def _signing_case(db: sqlite_utils.Database, finding_id: int) -> tuple[Finding, str] | None:
    """The finding rebuilt from its best case (a reduction first), to sign it again."""
    found = next(db.query("SELECT * FROM findings WHERE id = ?", [finding_id]))
    row = next(db.query(
        "SELECT * FROM cases WHERE finding_id = ? ORDER BY kind = 'reduced' DESC, "
        "queries IS NULL, bytes, id LIMIT 1", [finding_id]), None)  # fmt: skip
    if row is None:
        return None
    case = Case.from_row(row)
    if case.queries is not None:
        setup, queries = case.setup or (), case.queries
    else:
        statements = split_statements(case.script)
        if not statements:
            return None
        setup, queries = tuple(statements[:-1]), (statements[-1],)
    reference = None
    if found["reference"] is not None:
        reference = EngineInfo(found["reference"], found["reference_version"] or "", "", "")
    finding = Finding(
        oracle=found["oracle"], variant=found["variant"],
        engine=EngineInfo(found["engine"], found["engine_version"], found["dialect"], ""),
        setup=tuple(setup), queries=tuple(queries), expected=case.expected, actual=case.actual,
        features=tuple(json.loads(found["features"])), title=found["title"], reference=reference,
    )  # fmt: skip
    return finding, case.kind


def add_occurrence(
    db: sqlite_utils.Database,
    finding_id: int,
    row: Mapping[str, Any],
    *,
    may_reopen: bool = True,
) -> None:
    """Insert one occurrence and count it on its finding and run, in the caller's transaction.

    A hit of a fixed finding reopens it (a regression) when it comes from the version it was
    fixed in or from a version that never showed it before; hits from builds that already had
    the bug only count. Every other status just counts: quiet findings stay quiet.
    """
    status, fixed_in = db.execute(
        "SELECT status, fixed_in FROM findings WHERE id = ?", [finding_id]
    ).fetchone()
    version = row["engine_version"]
    if may_reopen and status == Status.FIXED:
        known = db.execute(
            "SELECT 1 FROM occurrences WHERE finding_id = ? AND engine_version = ? LIMIT 1",
            [finding_id, version],
        ).fetchone()
        if version == fixed_in or known is None:
            db.execute(
                "UPDATE findings SET status = 'new', status_at = ?, fixed_in = NULL WHERE id = ?",
                [row["seen"], finding_id],
            )
            fixed = f" (fixed in {fixed_in})" if fixed_in else ""
            note = f"regression: seen again on version {version}{fixed}"
            note_change(db, finding_id, status, Status.NEW, note, None, "sqlparity")
    db["occurrences"].insert({**row, "finding_id": finding_id})
    db.execute(
        "UPDATE findings SET occurrences = occurrences + 1, "
        "engine_version = CASE WHEN :seen >= last_seen THEN :version ELSE engine_version END, "
        "first_seen = min(first_seen, :seen), last_seen = max(last_seen, :seen) WHERE id = :id",
        {"seen": row["seen"], "version": version, "id": finding_id},
    )
    if row.get("run_id") is not None:
        db.execute("UPDATE runs SET occurrences = occurrences + 1 WHERE id = ?", [row["run_id"]])


def keep_case(db: sqlite_utils.Database, row: Mapping[str, Any], *, always: bool = False) -> int:
    """Keep a case if it is new and (unless `always`) shorter than the same kind already kept.

    Bounded growth: a bug hit a thousand times keeps a handful of ever shorter originals.
    Returns the id of the case kept, or of the best existing one.
    """
    same = db.execute(
        "SELECT id FROM cases WHERE finding_id = ? AND sha = ?", [row["finding_id"], row["sha"]]
    ).fetchone()
    if same is not None:
        return same[0]
    best = db.execute(
        "SELECT id, bytes FROM cases WHERE finding_id = ? AND kind = ? ORDER BY bytes LIMIT 1",
        [row["finding_id"], row["kind"]],
    ).fetchone()
    if best is not None and not always and best[1] <= row["bytes"]:
        return best[0]
    return db["cases"].insert(dict(row)).last_pk


def note_change(
    db: sqlite_utils.Database,
    finding_id: int,
    old: str | None,
    new: str,
    note: str | None,
    url: str | None,
    who: str | None,
) -> None:
    db["status_changes"].insert(
        {
            "finding_id": finding_id,
            "at": now(),
            "old_status": None if old is None else str(old),
            "new_status": str(new),
            "note": scrub(note),
            "url": scrub(url),
            "who": who or _user(),
        }
    )


# -- helpers ----------------------------------------------------------------------------------


def _writable_place(path: Path, create: bool) -> None:
    """Refuse, in one line, a store path that sqlparity could not honestly write.

    A store is written by every verb that opens it (it is migrated forward, put in WAL mode),
    and SQLite in WAL mode writes `-wal` and `-shm` files beside it: so the file and its
    folder must be writable. Checked before SQLite sees the path, whose own errors
    ("unable to open database file") do not say which of the two is wrong.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a triage store")
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path} is not a regular file, so not a triage store")
        if not _writable(path):
            raise StoreError(f"{path} is read-only: sqlparity writes to its store")
    elif not create:
        raise StoreError(f"no triage store at {path}")
    folder = path.absolute().parent
    while not folder.exists():  # the folders sqlparity would create: the first that exists
        folder = folder.parent
    if not folder.is_dir():
        raise StoreError(f"cannot create a triage store at {path}: {folder} is not a directory")
    if not _writable(folder) and not path.exists():
        raise StoreError(f"cannot create a triage store at {path}: {folder} is read-only")
    if not _writable(folder):
        raise StoreError(
            f"{path} is in a read-only directory ({folder}), where SQLite must write its journal"
        )


def _writable(path: Path) -> bool:
    """access(2), and a write bit for someone. Root passes access(2) on any file but an
    immutable one; a file or folder nobody may write is read-only by its owner's intent, and
    root is held to that too."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def _prepare(conn: sqlite3.Connection) -> sqlite_utils.Database:
    db = sqlite_utils.Database(conn)
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        _immediate_pragma(conn, "PRAGMA journal_mode = WAL")
    # NORMAL is durable against a killed process in WAL mode (only power loss can drop the
    # last commits), and much cheaper than FULL for a store written after every check
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return db


def _immediate_pragma(conn: sqlite3.Connection, pragma: str) -> None:
    """Run a pragma that cannot run in a transaction, retrying while the file is busy."""
    delay = 0.005
    deadline = time.monotonic() + LOCK_PATIENCE
    while True:
        try:
            conn.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.25)


def _finding_row(finding: Finding, seen: str) -> dict[str, Any]:
    reference = finding.reference
    return {
        "signature": finding.signature,
        "oracle": finding.oracle,
        "variant": finding.variant,
        "engine": finding.engine.name,
        "engine_version": finding.engine.version,
        "dialect": finding.engine.dialect,
        "reference": reference and reference.name,
        "reference_version": reference and reference.version,
        "features": _json(sorted(set(finding.features))),
        "title": scrub(finding.title),
        "status_at": seen,
        "first_seen": seen,
        "last_seen": seen,
        "signature_version": SIGNATURE_VERSION,
    }


def _case_row(
    finding_id: int,
    kind: str,
    source: Finding | str,
    created: str,
    stats: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    if isinstance(source, Finding):
        script = source.script
        parts = {
            "setup": _json(list(source.setup)),
            "queries": _json(list(source.queries)),
            "expected": _json(source.expected),
            "actual": _json(source.actual),
            "message": scrub(f"{source.title}\n{_text(source.actual)}"),
            "statements": len(source.setup) + len(source.queries),
            "engine_version": source.engine.version,
        }
    else:
        script = source
        parts = {"statements": len(split_statements(script))}
    return {
        "finding_id": finding_id,
        "kind": kind,
        "script": script,
        "bytes": len(script.encode()),
        "sha": _sha(script),
        "stats": _json(scrub(dict(stats or {}))),
        "created": created,
        **parts,
    }


def split_statements(script: str) -> list[str]:
    """The statements of a script, without the comment lines between them."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def _sqlparity_version() -> str | None:
    try:
        return version("sqlparity")
    except PackageNotFoundError:
        return None
