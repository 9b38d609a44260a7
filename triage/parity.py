"""The parity report: where a target diverges from its reference, by feature area.

A compatibility team does not read 21 findings of one cause; it reads "EXCEPT result types:
21 findings, this 3-line example". The report rolls the store's findings of a target against
a reference (the differential's and the expr oracle's) up by feature area: function,
operator, type, clause, statement kind and SQLSTATE class. Each area names its findings, how
often they were seen, and the shortest case (reduced ones first). A profile, when given,
marks the divergences it accepts; the learned feature-support table lists what the target
rejects outright. Markdown, one self-contained HTML file, or JSON.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from fuzzer import ast as A
from fuzzer.engines import Failure
from oracles.base import Discrepancy
from oracles.differential import Divergence, Profile
from triage.store import Store, StoredFinding

#: the areas, in the order a report lists them
AREAS = ("function", "operator", "type", "clause", "statement", "sqlstate")
#: a feature's node kind -> its area, when the feature names a construct (`Func:LPAD`)
_NAMED = {"Func": "function", "Aggregate": "function", "Binary": "operator",
          "Unary": "operator", "Like": "operator", "Quantified": "operator",
          "ColumnDef": "type", "Cast": "type", "Literal": "type"}  # fmt: skip
#: features of every query, which say nothing of where it diverges
_EVERYWHERE = frozenset({"Select", "SelectItem", "ColumnRef", "Literal", "Statement"})
#: node kinds that are operators without a symbol of their own
_OPERATORS = frozenset({"Between", "InList", "InQuery", "IsNull", "IsTruth", "IsDistinctFrom",
                        "Exists", "Case"})  # fmt: skip


@dataclass
class Example:
    finding: int
    title: str
    script: str
    reduced: bool


@dataclass
class Area:
    """One diverging feature of one area, with its findings."""

    area: str
    name: str
    findings: list[int] = field(default_factory=list)
    occurrences: int = 0
    accepted: list[int] = field(default_factory=list)  # the findings the profile accepts
    example: Example | None = None


@dataclass
class Report:
    target: str | None
    references: list[str]
    findings: int
    accepted: int
    profile: str | None
    areas: list[Area]
    unsupported: dict[str, list[str]]  # "engine version" -> features the target rejects

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def areas_of(finding: StoredFinding, expected: Any = None,
             actual: Any = None) -> set[tuple[str, str]]:
    """The (area, name) pairs a finding diverges in: its features by their node kinds, the
    kind of statement (a setup statement's, or "query"), the result types that differ and
    the SQLSTATE classes (or "ok") of the two sides."""
    found: set[tuple[str, str]] = set()
    statement = "query"
    for feature in finding.features:
        kind, _, detail = feature.partition(":")
        kind = kind.split(".")[0]
        if _is_statement(kind):
            statement = kind if finding.variant == "setup" else statement
        elif kind in _NAMED and detail:
            found.add((_NAMED[kind], detail))
        elif kind in _OPERATORS:
            found.add(("operator", kind))
        elif kind not in _NAMED and kind not in _EVERYWHERE and finding.oracle != "expr":
            found.add(("clause", feature))  # (the expr oracle's one-row source is its own)
    found.add(("statement", statement))
    if finding.variant == "types" and isinstance(expected, list) and isinstance(actual, list):
        for ref, tgt in zip(expected, actual, strict=False):
            if ref != tgt:
                found.add(("type", f"{ref} -> {tgt}"))
    states = [_sqlstate(side) for side in (expected, actual)]
    if any(states):
        ref, tgt = (s[:2] if s else "ok" for s in states)
        found.add(("sqlstate", f"{ref} -> {tgt}"))
    return found


def _is_statement(kind: str) -> bool:
    node = getattr(A, kind, None)
    return isinstance(node, type) and issubclass(node, A.Statement)


def _sqlstate(side: Any) -> str | None:
    return side.get("sqlstate") if isinstance(side, dict) else None


def accepted_by(profile: Profile, finding: StoredFinding, expected: Any, actual: Any) -> bool:
    """The profile accepts the finding's divergence (matched as the differential matches)."""
    seen = Divergence(finding.variant, Discrepancy(expected, actual))
    state = _sqlstate(actual)
    message = actual.get("error", "") if isinstance(actual, dict) else ""
    target = Failure(state, "", message) if state else Failure("", "", "")
    return profile.accepts(seen, finding.features, target)


def build(store: Store, target: str | None = None, profile: Profile | None = None) -> Report:
    """The report of the store's findings against a reference (of `target`, an engine name,
    or of every target)."""
    findings = [f for f in store.findings(engine=target) if f.reference is not None
                and f.status != "duplicate"]  # fmt: skip
    areas: dict[tuple[str, str], Area] = {}
    accepted = 0
    for f in findings:
        case = store.best_case(f.id)
        ok = profile is not None and accepted_by(profile, f, case.expected, case.actual)
        accepted += ok
        example = Example(f.id, f.title, case.script, case.kind == "reduced")
        for key in areas_of(f, case.expected, case.actual):
            area = areas.setdefault(key, Area(*key))
            area.findings.append(f.id)
            area.occurrences += f.occurrences
            if ok:
                area.accepted.append(f.id)
            if area.example is None or _shorter(example, area.example):
                area.example = example
    ordered = sorted(areas.values(),
                     key=lambda a: (AREAS.index(a.area), -len(a.findings), a.name))  # fmt: skip
    return Report(
        target=target,
        references=sorted({f"{f.reference} {f.reference_version}" for f in findings}),
        findings=len(findings),
        accepted=accepted,
        profile=profile.name if profile is not None else None,
        areas=ordered,
        unsupported=unsupported(store, target),
    )


def _shorter(a: Example, b: Example) -> bool:
    return (not a.reduced, len(a.script)) < (not b.reduced, len(b.script))


def unsupported(store: Store, target: str | None) -> dict[str, list[str]]:
    """The features the learned table turned off, per engine release."""
    sql = "SELECT DISTINCT engine, version, feature FROM target_features WHERE off = 1"
    params: list[str] = []
    if target is not None:
        sql += " AND engine = ?"
        params.append(target)
    table: dict[str, list[str]] = {}
    for engine, version, feature in store.db.execute(sql + " ORDER BY 1, 2, 3", params):
        table.setdefault(f"{engine} {version}", []).append(feature)
    return table


# -- rendering -------------------------------------------------------------------------------


def markdown(report: Report) -> str:
    lines = [f"# Parity report: {report.target or 'every target'} against "
             f"{', '.join(report.references) or 'no reference'}", "",
             f"{report.findings} distinct divergences"
             + (f", {report.accepted} accepted by profile {report.profile}" if report.profile
                else ""), ""]  # fmt: skip
    shown: dict[int, str] = {}  # finding -> the area whose example printed its script
    for name in AREAS:
        rows = [a for a in report.areas if a.area == name]
        if not rows:
            continue
        lines += [f"## {_TITLES[name]}", "", "| feature | findings | seen | accepted |",
                  "|---|---:|---:|---:|"]  # fmt: skip
        lines += [f"| `{_cell(a.name)}` | {len(a.findings)} | {a.occurrences} | "
                  f"{len(a.accepted)} |" for a in rows]  # fmt: skip
        lines.append("")
        for a in rows:
            if a.example is None:
                continue
            kind = "reduced" if a.example.reduced else "original"
            lines += [f"`{a.name}`: finding {a.example.finding}, {a.example.title} ({kind} case)"]
            if a.example.finding in shown:  # one script once: areas of one finding share it
                lines[-1] += f", as for `{shown[a.example.finding]}` above"
                lines.append("")
                continue
            shown[a.example.finding] = a.name
            lines += ["", "```sql", a.example.script.rstrip(), "```", ""]
    lines += ["## Features the target does not support", ""]
    if not report.unsupported:
        lines += ["(none learned)", ""]
    for release, found in report.unsupported.items():
        lines += [f"- {release}: " + ", ".join(f"`{f}`" for f in found)]
    return "\n".join(lines).rstrip() + "\n"


_TITLES = {"function": "Functions", "operator": "Operators", "type": "Types",
           "clause": "Clauses", "statement": "Statement kinds",
           "sqlstate": "SQLSTATE classes (reference -> target)"}  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


_STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.2em .6em}
td.n{text-align:right}pre{background:#f6f6f6;padding:.6em;overflow:auto}
details{margin:.3em 0}code{background:#f0f0f0}"""


def html_page(report: Report) -> str:
    """One self-contained page: inline style, no script, nothing fetched."""
    e = html.escape
    title = (f"Parity report: {report.target or 'every target'} against "
             f"{', '.join(report.references) or 'no reference'}")  # fmt: skip
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{e(title)}</h1>",
             f"<p>{report.findings} distinct divergences"
             + (f", {report.accepted} accepted by profile {e(report.profile)}"
                if report.profile else "") + "</p>"]  # fmt: skip
    for name in AREAS:
        rows = [a for a in report.areas if a.area == name]
        if not rows:
            continue
        parts.append(f"<h2>{e(_TITLES[name])}</h2><table><tr><th>feature</th><th>findings</th>"
                     "<th>seen</th><th>accepted</th><th>shortest example</th></tr>")
        for a in rows:
            example = ""
            if a.example is not None:
                kind = "reduced" if a.example.reduced else "original"
                example = (f"<details><summary>finding {a.example.finding} ({kind})</summary>"
                           f"<pre>{e(a.example.script)}</pre></details>")
            parts.append(f"<tr><td><code>{e(a.name)}</code></td><td class=n>{len(a.findings)}"
                         f"</td><td class=n>{a.occurrences}</td><td class=n>{len(a.accepted)}"
                         f"</td><td>{example}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Features the target does not support</h2><ul>")
    for release, found in report.unsupported.items():
        parts.append(f"<li>{e(release)}: " + ", ".join(f"<code>{e(f)}</code>" for f in found))
    if not report.unsupported:
        parts.append("<li>(none learned)")
    parts.append("</ul></body></html>\n")
    return "".join(parts)


def as_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


FORMATS = {"md": markdown, "html": html_page, "json": as_json}


def render_report(report: Report, fmt: str) -> str:
    return FORMATS[fmt](report)

