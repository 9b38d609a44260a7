"""`fuzz triage serve`: the store in a browser, through Datasette, on 127.0.0.1 only.

Datasette escapes every value it renders, which matters here: generated SQL and engine
messages can contain HTML. Nothing below uses `description_html` or a custom template, so no
stored string is ever rendered as markup.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from triage.store import OPEN

HOST = "127.0.0.1"

_OPEN = ", ".join(f"'{s}'" for s in OPEN)

QUERIES: dict[str, dict[str, str]] = {
    "queue": {
        "title": "Queue: open findings by engine and oracle",
        "description": "New and confirmed findings, most frequent first. Leave a filter empty "
        "for all.",
        "sql": f"""
SELECT id, engine, oracle, variant, occurrences, title, status, engine_version,
       first_seen, last_seen
FROM findings
WHERE status IN ({_OPEN})
  AND (:engine = '' OR engine = :engine)
  AND (:oracle = '' OR oracle = :oracle)
ORDER BY engine, oracle, occurrences DESC, last_seen DESC
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
    "finding": {
        "title": "A finding with its occurrences",
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


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for a store served under the name `database`."""
    return {
        "title": "sqlparity triage",
        "description": "Distinct findings of the sqlparity fuzzer, their occurrences and runs.",
        "databases": {
            database: {
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
    }


def datasette(path: Path) -> Any:
    """A Datasette instance over the store (read-only: Datasette opens files with mode=ro)."""
    from datasette.app import Datasette

    return Datasette(files=[str(path)], metadata=metadata(path.stem))


def serve(path: Path, port: int) -> None:
    """Serve until interrupted."""
    import uvicorn

    ds = datasette(path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=HOST, port=port, log_level="warning")
