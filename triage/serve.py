"""`fuzz triage serve`: the store in a browser, through Datasette, on a loopback address only.

The queue is a canned query with a template of ours (`templates/query-triage-queue.html`),
each finding's page and its workflow actions are routes of a Datasette plugin (triage.web).
Datasette escapes every value it renders, and so do our templates (autoescape): generated SQL
and engine messages can contain HTML, and no stored string is ever rendered as markup.
"""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from typing import Any

from triage.store import OPEN, Status

HOST = "127.0.0.1"
#: the name the store is served under, whatever its file is called: the templates and the
#: plugin's routes are written for it
DATABASE = "triage"
TEMPLATES = Path(__file__).parent / "templates"

_OPEN = ", ".join(f"'{s}'" for s in OPEN)

#: the queue's status filter: '' (the default) and 'open' are the work to do
STATUS_FILTERS = ("open", *(s.value for s in Status), "all")

QUERIES: dict[str, dict[str, str]] = {
    "queue": {
        "title": "Queue",
        "description": "Findings, most frequent first. Status: open (new and confirmed, the "
        "default), all, or one status. Leave a filter empty for all.",
        "sql": f"""
SELECT f.id, f.status, f.occurrences, f.title, f.engine, f.oracle, f.variant,
       (SELECT group_concat(engine_version, ', ') FROM (
            SELECT engine_version FROM occurrences WHERE finding_id = f.id
            GROUP BY engine_version ORDER BY min(seen))) AS versions,
       f.last_seen
FROM findings f
WHERE CASE :status
        WHEN '' THEN f.status IN ({_OPEN})
        WHEN 'open' THEN f.status IN ({_OPEN})
        WHEN 'all' THEN 1
        ELSE f.status = :status END
  AND (:engine = '' OR f.engine = :engine)
  AND (:oracle = '' OR f.oracle = :oracle)
  AND (:feature = '' OR EXISTS (SELECT 1 FROM json_each(f.features) WHERE value = :feature))
ORDER BY f.occurrences DESC, f.last_seen DESC, f.id
""".strip(),
    },
    "queue_summary": {
        "title": "Queue size by engine and oracle",
        "sql": f"""
SELECT engine, oracle, count(*) AS findings, sum(occurrences) AS occurrences,
       max(last_seen) AS last_seen
FROM findings
WHERE status IN ({_OPEN})
GROUP BY engine, oracle
ORDER BY findings DESC
""".strip(),
    },
    "occurrences": {
        "title": "A finding's occurrences",
        "description": "Every hit of one finding, newest first, with the run that found it.",
        "sql": """
SELECT f.id AS finding, f.status, f.title, o.seen, o.engine_version, o.reference_version,
       o.seed, o.position, o.run_id, r.command, r.host
FROM findings f
JOIN occurrences o ON o.finding_id = f.id
LEFT JOIN runs r ON r.id = o.run_id
WHERE f.id = :id
ORDER BY o.seen DESC, o.id DESC
""".strip(),
    },
    "reproducer": {
        "title": "A finding's shortest reproducer",
        "sql": """
SELECT finding_id AS finding, kind, statements, bytes, script, expected, actual
FROM cases
WHERE finding_id = :id
ORDER BY kind = 'reduced' DESC, bytes
LIMIT 1
""".strip(),
    },
    "recent_runs": {
        "title": "Recent runs",
        "sql": """
SELECT id, command, started, finished, host, user, engines, oracles, seed, occurrences,
       new_findings, counters
FROM runs
ORDER BY started DESC, id DESC
LIMIT 100
""".strip(),
    },
}


def metadata(path: Path) -> dict[str, Any]:
    """Datasette metadata for the store at `path`, served as DATABASE."""
    return {
        "title": "sqlparity triage",
        "description": f"Distinct findings of the sqlparity fuzzer in {path}.",
        "databases": {
            DATABASE: {
                "tables": {
                    "findings": {
                        "sort_desc": "occurrences",
                        "facets": ["status", "engine", "oracle"],
                        "label_column": "title",
                    },
                    "occurrences": {"sort_desc": "seen", "facets": ["engine_version"]},
                    "cases": {"facets": ["kind"], "label_column": "kind"},
                    "runs": {"sort_desc": "started", "facets": ["command", "host"]},
                    "status_changes": {"sort_desc": "at", "facets": ["new_status"]},
                },
                "queries": QUERIES,
            }
        },
        "plugins": {"sqlparity": {"store": str(path)}},
    }


def datasette(path: Path) -> Any:
    """A Datasette instance over the store, with the triage plugin (triage.web) in it."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    from triage import web

    if not pm.is_registered(web):
        pm.register(web, name="sqlparity")
    ds = Datasette(metadata=metadata(path), template_dir=str(TEMPLATES))
    ds.add_database(Database(ds, path=str(path), is_mutable=True), name=DATABASE)
    return ds


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(path: Path, port: int, host: str = HOST) -> None:
    """Serve until interrupted; `host` must be a loopback address (the caller checks)."""
    import uvicorn

    if not is_loopback(host):
        raise ValueError(f"{host} is not a loopback address")
    ds = datasette(path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
