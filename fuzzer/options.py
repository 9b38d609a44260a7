"""The value types of the verbs' options, with their ranges, checked by click.

A bad value is then click's own one-line message, exit 2, before anything runs, rather than
a traceback (`--max-time 0`), a value silently clamped (`--workers 0`), or one that breaks a
later step (a seed the store cannot hold).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from fuzzer.console import fail
from oracles.differential import Profile

#: A statement may wait at most a day: beyond any useful statement timeout, and far below
#: what the servers' own settings hold (PostgreSQL's statement_timeout, in ms, stops at 24 days).
MAX_TIMEOUT = 86400.0

#: Seeds are stored as SQLite INTEGERs (64-bit signed); the seed streams take any of them.
MAX_SEED = 2**63 - 1

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

TIMEOUT = click.FloatRange(min=0, max=MAX_TIMEOUT, min_open=True)
SECONDS = click.FloatRange(min=0, min_open=True)
SEED = click.IntRange(min=0, max=MAX_SEED)
COUNT = click.IntRange(min=1)
PORT = click.IntRange(min=1, max=65535)


class Duration(click.ParamType):
    """A length of time, like 90s, 30m, 8h, 2d or plain seconds, longer than zero."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None
                ) -> float:  # fmt: skip
        if isinstance(value, int | float):
            seconds = float(value)
        else:
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
            if not m:
                self.fail(f"a duration is like 90s, 30m, 8h: not {value!r}", param, ctx)
            seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
        if seconds <= 0:
            self.fail(f"a duration must be longer than zero: not {value!r}", param, ctx)
        return seconds


DURATION = Duration()


class ProfileFile(click.ParamType):
    """A TOML profile of a target's accepted divergences, read and checked when given."""

    name = "profile"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None
                ) -> Profile:  # fmt: skip
        if isinstance(value, Profile):
            return value
        try:
            return Profile.load(Path(str(value)))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


PROFILE = ProfileFile()


def isolation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The isolation oracle's options: its clients, the level its transactions run at, the
    level the checker holds them to, the profile of what the engine documents, the
    reference's level and free-running. The command receives them as one argument,
    `oracle_options` (`Context.options`); an unreadable profile is bad input."""
    from oracles.isolation.checker import LEVELS as EXPECTED
    from oracles.isolation.workload import LEVELS

    @functools.wraps(command)
    def given(*args: Any, clients: int, isolation: str, expect: str | None,
              isolation_profile: str | None, reference_isolation: str | None,
              free_running: bool, **kwargs: Any) -> Any:  # fmt: skip
        try:
            options = oracle_options(clients, isolation, expect, isolation_profile,
                                     reference_isolation, free_running)  # fmt: skip
        except ValueError as exc:
            fail(str(exc))
        return command(*args, oracle_options=options, **kwargs)

    wrapped: Callable[..., Any] = given
    for option in reversed((
        click.option("--clients", type=COUNT, default=4, show_default=True,
                     help="Isolation oracle: concurrent client sessions."),
        click.option("--isolation", type=click.Choice(LEVELS), default="serializable",
                     show_default=True, help="Isolation oracle: the transactions' level."),
        click.option("--expect", type=click.Choice(EXPECTED),
                     help="Isolation oracle: check the history against this level instead."),
        click.option("--isolation-profile", metavar="NAME|FILE",
                     help="Isolation oracle: anomalies the engine documents (shipped: mariadb)."),
        click.option("--reference-isolation", type=click.Choice(LEVELS),
                     help="Isolation oracle with --reference: the reference's transactions' "
                     "level (default: --isolation)."),
        click.option("--free-running", is_flag=True,
                     help="Isolation oracle: clients run without the interleaving controller, "
                     "for throughput (a schedule no longer replays)."),
    )):  # fmt: skip
        wrapped = option(wrapped)
    return wrapped


def oracle_options(
    clients: int,
    isolation: str,
    expect: str | None,
    isolation_profile: str | None,
    reference_isolation: str | None = None,
    free_running: bool = False,
) -> tuple[tuple[str, Any], ...]:
    """The `Context.options` of the isolation options; ValueError for an unreadable profile."""
    from oracles.isolation.profile import IsolationProfile

    IsolationProfile.named(isolation_profile)  # read now: a bad file is bad input
    return (("clients", clients), ("isolation", isolation), ("expect", expect),
            ("isolation_profile", isolation_profile),
            ("reference_isolation", reference_isolation),
            ("free_running", free_running))  # fmt: skip
