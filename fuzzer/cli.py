"""The `fuzz` command line: verbs that read like English (`fuzz engines check URL`)."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click
from rich.markup import escape

from fuzzer.console import EXIT_USAGE, err, fail, out
from fuzzer.engines import EngineError, connect, schemes
from fuzzer.options import TIMEOUT
from fuzzer.proctitle import hide_passwords


class FuzzGroup(click.Group):
    """Turns the errors a user can cause into one line on stderr, never a traceback.

    Click's own usage errors too: its usage block and hint become one line, exit 2, like the
    rest, so that a script reading stderr sees the same shape for every bad input.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            usage_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EngineError as exc:
            fail(str(exc))
        except click.UsageError as exc:
            usage_error(exc)


def usage_error(exc: click.UsageError) -> NoReturn:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        raise exc  # `fuzz triage` alone: the help is the answer
    hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
    fail(" ".join(exc.format_message().split()) + hint)


@click.group(cls=FuzzGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sqlparity", prog_name="sqlparity")
def cli() -> None:
    """sqlparity: find where a SQL engine's answers differ from what they must be."""


@cli.group(cls=FuzzGroup)
def engines() -> None:
    """Inspect the engines sqlparity can test."""


@engines.command("list")
def engines_list() -> None:
    """List the URL schemes sqlparity understands."""
    for scheme, target in sorted(schemes().items()):
        out.print(f"{scheme:<14} {target}", markup=False)


@engines.command("check")
@click.argument("urls", nargs=-1, required=True, envvar="SQLPARITY_TARGET")
@click.option("--timeout", type=TIMEOUT, default=5.0, show_default=True,
              help="Statement timeout in seconds.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per engine.")
def engines_check(urls: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """Connect to each engine URL, create and drop a scratch database, report versions.

    Without URLs, the space-separated ones in $SQLPARITY_TARGET.

    \b
    Examples:
      fuzz engines check sqlite: duckdb:
      fuzz engines check postgresql://postgres@127.0.0.1:5432/postgres
      fuzz engines check mysql://root@127.0.0.1:3306/test
    """
    reports = []
    failed = False
    for url in urls:
        try:
            with connect(url, timeout=timeout) as engine:
                probe = engine.execute("SELECT 1")
                reports.append(
                    {
                        "url": str(engine.url),
                        "engine": engine.name,
                        "version": engine.version,
                        "dialect": engine.dialect,
                        "endpoint": engine.endpoint,
                        "scratch": engine.scratch,
                        "scratch_created": True,
                        "runs_as": engine.runs_as,
                        "runs_as_note": engine.runs_as_note,
                        "query_ok": probe.ok,
                    }
                )
                failed |= not probe.ok
        except EngineError as exc:
            failed = True
            err.print(f"fuzz: error: {exc}", markup=False)
    if as_json:
        for report in reports:
            click.echo(json.dumps(report))
    else:
        for r in reports:
            role = f"  as {r['runs_as']}" if r["runs_as"] else ""
            out.print(
                f"[green]ok[/]  [bold]{escape(r['engine'])}[/] {escape(r['version'])}  "
                f"dialect={r['dialect']}  at {escape(r['endpoint'])}  "
                f"scratch={escape(r['scratch'])} (created, dropped){escape(role)}  "
                f"{escape(r['url'])}"
            )
            if r["runs_as_note"]:
                out.print(f"    note: {r['runs_as_note']}", markup=False)
    sys.exit(EXIT_USAGE if failed else 0)


from fuzzer.commands.bisect import bisect  # noqa: E402
from fuzzer.commands.check import check  # noqa: E402
from fuzzer.commands.clean import clean  # noqa: E402
from fuzzer.commands.generate import generate  # noqa: E402
from fuzzer.commands.reduce import reduce  # noqa: E402
from fuzzer.commands.report import report  # noqa: E402
from fuzzer.commands.run import run  # noqa: E402
from triage.cli import triage  # noqa: E402

for command in (run, check, reduce, bisect, generate, report, triage):
    cli.add_command(command)
engines.add_command(clean)


def main() -> None:
    hide_passwords()
    cli(prog_name="fuzz")
