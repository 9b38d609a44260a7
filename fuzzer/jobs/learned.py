"""The learned table a job shares with its workers (see fuzzer.adaptive).

Workers send what their target did with each statement's features to the coordinator, which
merges it per engine release, decides which features are off, keeps that in the triage store
and writes it here: one small JSON file per engine release in the run's log folder, replaced
atomically. A worker reads it before its first state and between states. A file, rather than
a queue per worker, because a worker that is restarted must find the table as it is.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from oracles.finding import EngineInfo

#: How long a new worker waits for the coordinator's first table before its first state.
FIRST_TABLE_SECONDS = 10.0


def table_path(log_dir: Path, engine: EngineInfo) -> Path:
    slug = re.sub(r"[^\w.-]+", "_", f"{engine.name}-{engine.version}")
    return log_dir / f"features-{slug}.json"


def write_table(path: Path, off: frozenset[str]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(sorted(off)), encoding="utf-8")
    os.replace(temporary, path)


def read_table(path: Path) -> frozenset[str] | None:
    """The features off, or None while the coordinator has not written the table."""
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def first_table(path: Path, stopping: Callable[[], bool]) -> frozenset[str]:
    """The table as the coordinator first writes it; empty if it does not in time."""
    deadline = time.monotonic() + FIRST_TABLE_SECONDS
    while (off := read_table(path)) is None and time.monotonic() < deadline and not stopping():
        time.sleep(0.05)
    return off or frozenset()
