"""What a running job shows: a live panel for people, JSON lines for scripts."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from fuzzer.jobs.coordinator import Summary

JSON_EVERY = 2.0


class Display:
    """The base display: silent. `Live` and `JsonLines` show progress their way."""

    def start(self, summary: Summary) -> None: ...

    def update(self, summary: Summary) -> None: ...

    def note(self, message: str) -> None: ...

    def finish(self, summary: Summary) -> None: ...


def table(summary: Summary, title: str) -> Table:
    c = summary.counters()
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    t.add_row("run", str(summary.run_id))
    t.add_row("engines", ", ".join(c["engines"]) or "starting")
    t.add_row("elapsed", f"{c['elapsed']:.0f} s")
    t.add_row("checks", f"{c['checks']:,} ({c['checks_per_s']:,.0f}/s)")
    t.add_row("queries", f"{c['queries']:,} ({c['queries_per_s']:,.0f}/s)")
    t.add_row("ran without error", f"{c['ok_share']:.1%}")
    t.add_row("checks on rows", f"{c['nonempty_share']:.1%} (their query was not empty)")
    by_oracle = ", ".join(f"{k} {v}" for k, v in sorted(c["findings_by_oracle"].items()))
    t.add_row(
        "findings",
        f"[red]{c['findings_new']} new[/], {c['findings_duplicate']} duplicate"
        + (f" ({by_oracle})" if by_oracle else ""),
    )
    if c["reduced"] or c["reductions_failed"]:
        failed = c["reductions_failed"]
        t.add_row("reduced", f"{c['reduced']}" + (f", [red]{failed} failed[/]" if failed else ""))
    for failure in c["reduction_failures"][:3]:
        t.add_row("[red]reduction failed[/]", escape(failure))
    t.add_row("engine crashes", str(c["crashes"]))
    if c["worker_deaths"]:
        t.add_row("worker deaths", f"[red]{c['worker_deaths']}[/]")
    if c["states_abandoned"]:
        t.add_row("states abandoned", f"{c['states_abandoned']} (their statements timed out)")
    for error in c["errors"]:
        t.add_row("[red]error[/]", error)
    for note in c["notes"]:
        t.add_row("note", note)
    if c["waiting"]:
        t.add_row("[yellow]stopping[/]", c["waiting"])
    return t


class LiveDisplay(Display):
    def __init__(self, console: Console) -> None:
        self.console = console
        self._live: Live | None = None

    def start(self, summary: Summary) -> None:
        self._live = Live(table(summary, "fuzzing"), console=self.console, refresh_per_second=2)
        self._live.start()

    def update(self, summary: Summary) -> None:
        if self._live is not None:
            self._live.update(table(summary, "fuzzing"))

    def note(self, message: str) -> None:
        self.console.print(message, style="yellow")

    def finish(self, summary: Summary) -> None:
        if self._live is not None:
            self._live.update(table(summary, "summary"))
            self._live.stop()
            if not self.console.is_terminal:
                self.console.line()  # a live display ends its last line only on a terminal


class JsonLines(Display):
    """One JSON object of counters every few seconds, then a final one with `"final": true`."""

    def __init__(self) -> None:
        self._last = 0.0

    def update(self, summary: Summary) -> None:
        if time.monotonic() - self._last >= JSON_EVERY:
            self._last = time.monotonic()
            self._emit({"final": False, **summary.counters()})

    def finish(self, summary: Summary) -> None:
        self._emit({"final": True, **summary.counters()})

    @staticmethod
    def _emit(data: dict) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()
