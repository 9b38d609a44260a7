"""A finding as a Markdown bug report, ready to paste into the engine's tracker.

A maintainer reads a report before anything else: versions first, then the smallest script
that builds the database from nothing, the query, and what it should and did return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from oracles import UnknownOracle, oracle_class
from triage.store import Case, Store, StoredFinding, split_statements


def tabulate(value: Any) -> tuple[list[str], list[list[str]]] | None:
    """Rows-like results as (headers, rows of cell text); None when a table would not help.

    Understands `{"columns": [...], "rows": [[...]]}`, a list of rows, a list of objects,
    a list of scalars and a single scalar.
    """
    if isinstance(value, Mapping) and {"columns", "rows"} <= value.keys():
        return [cell(c) for c in value["columns"]], [[cell(v) for v in r] for r in value["rows"]]
    if isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        headers = list(dict.fromkeys(k for r in value for k in r))
        return headers, [[cell(r.get(h)) for h in headers] for r in value]
    if isinstance(value, list) and all(isinstance(r, list | tuple) for r in value):
        width = max((len(r) for r in value), default=0)
        headers = [f"col{i + 1}" for i in range(width)]
        return headers, [[cell(v) for v in r] for r in value]
    if isinstance(value, list) and all(_scalar(v) for v in value):
        return ["value"], [[cell(v)] for v in value]
    if _scalar(value):
        return ["value"], [[cell(value)]]
    return None


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def markdown(store: Store, finding_id: int) -> str:
    """The bug report for one finding, from its best case."""
    finding = store.get(finding_id)
    best = store.best_case(finding_id)
    # a reduction given as text has no results of its own: the original's stand in
    judged = best if best.queries is not None else store.replayable_case(finding_id)
    lines = [f"# {_inline(finding.title)}", ""]
    lines += _versions(store, finding)
    check = _checked(finding.oracle)
    if check:
        lines += ["", f"**What was checked:** {check}"]
    lines += [""]
    lines += _reproducer(best)
    lines += ["", "## Expected", "", *_result(judged.expected)]
    lines += ["", "## Actual", "", *_result(judged.actual)]
    lines += ["", "---", "", _footer(finding, best)]
    return "\n".join(lines) + "\n"


def _checked(oracle: str) -> str | None:
    """What the oracle checked, in its own words; None when it is not installed here."""
    try:
        return oracle_class(oracle).description
    except UnknownOracle:
        return None


def _versions(store: Store, finding: StoredFinding) -> list[str]:
    seen = ", ".join(
        f"{v.engine_version} ({v.occurrences} hits)" for v in store.versions(finding.id)
    )
    lines = [f"- **Engine:** {finding.engine} {finding.engine_version} (dialect {finding.dialect})"]
    if finding.reference:
        lines.append(f"- **Compared with:** {finding.reference} {finding.reference_version}")
    lines.append(f"- **Seen on versions:** {seen or finding.engine_version}")
    releases = bisected(finding)
    if releases:
        lines.append(f"- **Releases:** {releases}")
    return lines


def bisected(f: StoredFinding) -> str | None:
    """`fuzz bisect`'s range in words, or None if the finding was never bisected."""
    if f.bisect is None:
        return None
    tested = json.loads(f.bisect)
    first = f"regressed in {f.regressed_in}" if f.regressed_in else "never reproduced"
    if f.regressed_in and f.regressed_in == tested.get("first"):
        first += " (or before: the first release bisected)"
    fixed = f"fixed in {f.bisect_fixed_in}" if f.bisect_fixed_in else "not fixed"
    return f"{first}; {fixed} (bisected {tested.get('first')}..{tested.get('last')})"


def _reproducer(case: Case) -> list[str]:
    if case.setup is None or case.queries is None:
        body = _strip_comments(case.script)
        return ["## Reproducer", "", *fenced(body, "sql")]
    setup = statements_text(case.setup) or "-- (empty database)"
    lines = ["## Setup", "", *fenced(setup, "sql")]
    return [*lines, "", "## Query", "", *fenced(statements_text(case.queries), "sql")]


def _result(value: Any) -> list[str]:
    table = tabulate(value)
    if table is None:
        return fenced(json.dumps(value, indent=2, default=str), "json")
    headers, rows = table
    if not rows:
        return ["(no rows)"]
    out = ["| " + " | ".join(_md_cell(h) for h in headers) + " |"]
    out.append("|" + "---|" * len(headers))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def _footer(finding: StoredFinding, case: Case) -> str:
    kind = "reduced" if case.kind == "reduced" else "original"
    return (
        f"Found by sqlparity ({finding.oracle}/{finding.variant}), "
        f"{finding.occurrences} occurrence(s) from {finding.first_seen} to {finding.last_seen}; "
        f"{kind} reproducer of {case.statements} statement(s); signature `{finding.signature}`."
    )


def fenced(text: str, language: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text.rstrip("\n"), fence]


def _md_cell(text: str) -> str:
    """Cell text as Markdown shows it literally: generated values may contain HTML or pipes."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _inline(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _strip_comments(script: str) -> str:
    """The script without sqlparity's header comments: the tracker shows versions above."""
    return "\n".join(split_statements(script))


def statements_text(statements: Sequence[str]) -> str:
    return "\n".join(s.rstrip(";") + ";" for s in statements)
