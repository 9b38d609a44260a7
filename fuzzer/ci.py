"""What a CI job reads: JUnit XML (one test case per check target or script), SARIF 2.1.0
(findings as results), and which findings are known bugs that must not fail the job.

A known bug is one a project file names (`--known FILE`: root-cause signatures, one a line,
`#` comments) or one its triage store has triaged: confirmed, reported, marked a duplicate or
not a bug. A fixed finding that appears again is a regression, and fails the job.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracles.finding import Finding

#: store statuses of a finding someone has already looked at
KNOWN_STATUSES = frozenset({"confirmed", "reported", "duplicate", "not-a-bug"})
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SIGNATURE = re.compile(r"^[0-9a-f]{16}$")


class KnownBugsError(ValueError):
    """A known-bugs file that cannot be read; its message is one line."""


@dataclass(frozen=True)
class Known:
    """The signatures of known bugs, and why each is known."""

    why: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, store: Path | None = None) -> Known:
        why: dict[str, str] = {}
        if path is not None:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise KnownBugsError(f"cannot read known bugs from {path}: {exc}") from None
            for number, line in enumerate(lines, start=1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                if not _SIGNATURE.match(text):
                    raise KnownBugsError(
                        f"{path}:{number}: not a finding signature (16 hex digits): {text}"
                    )
                why[text] = f"listed in {path.name}"
        if store is not None and store.is_file():
            why.update(_triaged(store))
        return cls(why)

    def reason(self, finding: Finding) -> str | None:
        """Why the finding is a known bug: by the signature its store gave it, or its own as
        a hit or as a reduced case (a reduced case checked in CI)."""
        from oracles.signature import signature

        signed = (finding.extra.get("signature"), finding.signature, signature(finding, True))
        return next((self.why[s] for s in signed if s in self.why), None)


def _triaged(path: Path) -> dict[str, str]:
    from triage.store import Store

    with Store.open(path, create=False) as store:
        rows = store.db.execute(
            "SELECT s.signature, f.id, f.status FROM signatures s "
            "JOIN findings f ON f.id = s.finding_id WHERE f.status IN "
            f"({', '.join('?' * len(KNOWN_STATUSES))})", sorted(KNOWN_STATUSES)
        ).fetchall()  # fmt: skip
    return {sig: f"finding {fid} is {status} in the triage store" for sig, fid, status in rows}


@dataclass(frozen=True)
class Checked:
    """One check target or script, and what it found."""

    name: str
    findings: Sequence[Finding] = ()
    seconds: float = 0.0
    error: str | None = None  # it could not be checked at all


def unknown(findings: Iterable[Finding], known: Known) -> list[Finding]:
    return [f for f in findings if known.reason(f) is None]


def write_junit(path: Path, suite: str, cases: Sequence[Checked], known: Known) -> None:
    """JUnit XML: a case fails for each finding not known, is skipped when it could not run;
    known findings are listed in its system-out."""
    failures = sum(bool(unknown(c.findings, known)) for c in cases)
    errors = sum(c.error is not None for c in cases)
    root = ET.Element("testsuites", name="sqlparity", tests=str(len(cases)),
                      failures=str(failures), errors=str(errors))  # fmt: skip
    tree = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)),
                         failures=str(failures), errors=str(errors),
                         time=f"{sum(c.seconds for c in cases):.3f}")  # fmt: skip
    for case in cases:
        element = ET.SubElement(tree, "testcase", classname=suite, name=case.name,
                                time=f"{case.seconds:.3f}")  # fmt: skip
        if case.error is not None:
            ET.SubElement(element, "error", message=case.error).text = case.error
        for f in unknown(case.findings, known):
            failure = ET.SubElement(element, "failure", message=f.title,
                                    type=f"{f.oracle}/{f.variant}")  # fmt: skip
            failure.text = f"signature {f.signature}\n{f.script}"
        quiet = [f"{f.signature} {f.title}: {known.reason(f)}"
                 for f in case.findings if known.reason(f)]  # fmt: skip
        if quiet:
            ET.SubElement(element, "system-out").text = "known bugs:\n" + "\n".join(quiet)
    ET.indent(root)
    path.write_text(ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n",
                    encoding="utf-8")  # fmt: skip


def sarif(findings: Sequence[Finding], known: Known, version: str | None) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one rule per oracle and variant, one result per finding; a known
    bug is a result with an external suppression saying why."""
    from oracles import UnknownOracle, oracle_class

    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rule = f"{f.oracle}/{f.variant}"
        if rule not in rules:
            try:
                text = oracle_class(f.oracle).description
            except UnknownOracle:
                text = f"a finding of the {f.oracle} oracle"
            rules[rule] = {"id": rule, "name": rule.replace("/", "-"),
                           "shortDescription": {"text": text}}  # fmt: skip
        result: dict[str, Any] = {
            "ruleId": rule,
            "ruleIndex": list(rules).index(rule),
            "level": "error",
            "message": {"text": f"{f.title} ({f.engine.name} {f.engine.version})"},
            "partialFingerprints": {"sqlparitySignature/v1": f.signature},
            "properties": {
                "engine": f.engine.name,
                "engine_version": f.engine.version,
                "reproducer": f.script,
            },
        }
        source = f.extra.get("source")
        if source:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": str(source)}}}]
        reason = known.reason(f)
        if reason is not None:
            result["suppressions"] = [{"kind": "external", "justification": reason}]
        results.append(result)
    driver: dict[str, Any] = {"name": "sqlparity", "rules": list(rules.values())}
    if version:
        driver["version"] = version
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results}]}  # fmt: skip


def write_sarif(path: Path, findings: Sequence[Finding], known: Known) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours: str | None = version("sqlparity")
    except PackageNotFoundError:
        ours = None
    path.write_text(json.dumps(sarif(findings, known, ours), indent=2) + "\n", encoding="utf-8")
