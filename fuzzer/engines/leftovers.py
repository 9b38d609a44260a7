"""Leftover scratch spaces on a server, and the sweep that drops those whose owner is gone.

Each server engine says how to list, inspect and drop what sqlparity leaves there (a
`Leftovers` of its own); the sweep, the verdicts and their order are the same for all, so
that `fuzz engines clean` knows nothing of any engine. A scratch space is dropped only when
its name proves its owner gone (see `fuzzer.engines.scratch`) and no server session is
attached to it; a role or user named like it goes with it, and one whose scratch space is
gone goes when its owner is provably gone and nobody is logged in as it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from fuzzer.engines.scratch import Verdict, owner_verdict

#: Kinds of scratch space, and kinds of account named after one.
SPACES = ("database", "schema")
ACCOUNTS = ("role", "user")


@dataclass(frozen=True)
class Leftover:
    """One thing a server holds under a scratch name, with the verdict on it."""

    kind: str  # database, schema, role, user
    name: str
    verdict: Verdict
    reason: str
    dropped: bool = False
    error: str | None = None  # why a drop that was due failed

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "dropped": self.dropped,
            "error": self.error,
        }


class Leftovers(ABC):
    """One server's scratch spaces and scratch accounts, over one maintenance connection."""

    @abstractmethod
    def spaces(self) -> list[tuple[str, str]]:
        """(kind, name) of every scratch database and schema, by the scratch prefix."""

    @abstractmethod
    def accounts(self) -> list[tuple[str, str]]:
        """(kind, name) of every role or user named with the scratch prefix."""

    @abstractmethod
    def sessions(self, kind: str, name: str) -> int | None:
        """How many server sessions use this space, or are logged in as this account.

        None when the server does not show us all its sessions.
        """

    @abstractmethod
    def drop(self, kind: str, name: str) -> None:
        """Drop it; raises when the server refuses (a session attached after all, say)."""

    @abstractmethod
    def close(self) -> None:
        """Close the maintenance connection."""


def judge(leftovers: Leftovers, kind: str, name: str) -> tuple[Verdict, str]:
    """The owner's verdict, overruled by any session still attached."""
    verdict, reason = owner_verdict(name)
    if verdict is Verdict.DEAD:
        attached = leftovers.sessions(kind, name)
        if attached is None:
            return Verdict.NOT_PROVABLE, f"{reason}, but the server hides who else uses it"
        if attached:
            return Verdict.ALIVE, f"{reason}, but {attached} session(s) still use it"
    return verdict, reason


def sweep(leftovers: Leftovers, *, drop: bool) -> list[Leftover]:
    """Every leftover with its verdict; the dead ones dropped unless `drop` is False.

    Spaces go first, then the accounts named after them (an account may own its space), which
    follow their space: an account is dropped with its space, and kept while its space is.
    Sessions are asked again right before each drop.
    """
    found: list[Leftover] = []
    spaces: dict[str, Leftover] = {}
    for kind, name in leftovers.spaces():
        verdict, reason = judge(leftovers, kind, name)
        item = _settle(leftovers, Leftover(kind, name, verdict, reason), drop)
        spaces[name] = item
        found.append(item)
    for kind, name in leftovers.accounts():
        space = spaces.get(name)
        if space is None:
            verdict, reason = judge(leftovers, kind, name)
        elif space.dropped or (space.verdict is Verdict.DEAD and not drop):
            verdict, reason = Verdict.DEAD, f"its {space.kind} is dead: {space.reason}"
        else:
            state = "could not be dropped" if space.error else f"is {space.verdict.value}"
            found.append(Leftover(kind, name, space.verdict, f"its {space.kind} {state}"))
            continue
        found.append(_settle(leftovers, Leftover(kind, name, verdict, reason), drop))
    return found


def _settle(leftovers: Leftovers, item: Leftover, drop: bool) -> Leftover:
    """Drop a dead leftover, unless a session turned up since it was judged."""
    if item.verdict is not Verdict.DEAD or not drop:
        return item
    if leftovers.sessions(item.kind, item.name) != 0:
        return Leftover(item.kind, item.name, Verdict.ALIVE, "a session attached to it just now")
    try:
        leftovers.drop(item.kind, item.name)
    except Exception as exc:  # the server's own refusal: report it, drop nothing else of it
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Leftover(item.kind, item.name, item.verdict, item.reason, error=message)
    return Leftover(item.kind, item.name, item.verdict, item.reason, dropped=True)
