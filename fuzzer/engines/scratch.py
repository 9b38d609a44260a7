"""Scratch-space names that record their owner, and whether that owner is provably gone.

A worker killed with SIGKILL, or a machine that lost power, leaves its scratch database on the
server. Its name says who made it, so that `fuzz engines clean` can tell a leftover from the
live scratch space of a concurrent run without any state of its own: after the prefix, in
fixed-width base 36, a tag of the host (5 characters), a tag of its boot (3), the owner's pid
(5), the owner's start time (5) and a counter from a random start (3), which keeps the names
of one process apart. At most 31 characters, lower case: MySQL 8 user names are limited to 32,
and a scratch role or user is named after its database.

The verdict errs one way only: anything that cannot be proved dead is kept. The host tag hashes
the host name, the machine id and the pid namespace, since a pid means nothing outside its
namespace (two containers on one kernel share the boot id but not their pids). The start time
(clock ticks since boot, modulo 36^5: about a week at 100 Hz) tells a reused pid from the
owner: a process that started at another time is another process; one that started at the same
time modulo a week is taken for the owner, and its leftover kept.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets
import socket
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

SCRATCH_PREFIX = "sqlparity_"
MAX_LENGTH = 31

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_HOST, _BOOT, _PID, _START, _COUNTER = 5, 3, 5, 5, 3
_NAME = re.compile(
    SCRATCH_PREFIX
    + "".join(
        f"(?P<{field}>[0-9a-z]{{{width}}})"
        for field, width in (("host", _HOST), ("boot", _BOOT), ("pid", _PID), ("start", _START))
    )
    + f"[0-9a-z]{{{_COUNTER}}}"
)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _base36(n: int, width: int) -> str:
    """`n` modulo 36^width, in exactly `width` base-36 digits."""
    digits = ""
    for _ in range(width):
        n, d = divmod(n, 36)
        digits = _DIGITS[d] + digits
    return digits


def _tag(text: str, width: int) -> str:
    return _base36(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"), width)


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


@cache
def host_tag() -> str:
    """This host, as far as pids are concerned: host name, machine id, pid namespace."""
    machine = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return _tag(f"{socket.gethostname()}\0{machine}\0{_pid_namespace()}", _HOST)


@cache
def boot_tag() -> str:
    """This boot of the host: a pid from an earlier boot is certainly gone."""
    return _tag(_read("/proc/sys/kernel/random/boot_id"), _BOOT)


def _start_time(pid: int) -> int | None:
    """When a process started, in clock ticks since boot; None where there is no procfs."""
    fields = _read(f"/proc/{pid}/stat").rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 else None


_names = itertools.count(secrets.randbelow(36**_COUNTER))


def scratch_name() -> str:
    """A name that says who made it and cannot collide with a concurrent run."""
    pid = os.getpid()
    return "".join(
        (
            SCRATCH_PREFIX,
            host_tag(),
            boot_tag(),
            _base36(pid, _PID),
            _base36(_start_time(pid) or 0, _START),
            _base36(next(_names), _COUNTER),
        )
    )


@dataclass(frozen=True)
class ScratchOwner:
    """Who made a scratch space, read back from its name."""

    host: str
    boot: str
    pid: int
    start: str  # its start time, as the name records it

    @classmethod
    def parse(cls, name: str) -> ScratchOwner | None:
        """The owner a name records; None for names that record none (older sqlparity)."""
        m = _NAME.fullmatch(name)
        if m is None:
            return None
        return cls(m["host"], m["boot"], int(m["pid"], 36), m["start"])


class Verdict(Enum):
    DEAD = "dead"
    ALIVE = "alive"
    NOT_PROVABLE = "not provable"


def owner_verdict(name: str) -> tuple[Verdict, str]:
    """Whether the process that made `name` is provably gone, and why (or why not)."""
    owner = ScratchOwner.parse(name)
    if owner is None:
        return Verdict.NOT_PROVABLE, "its name records no owner (an older sqlparity, or not ours)"
    if owner.host != host_tag():
        return Verdict.NOT_PROVABLE, f"made on another host (tag {owner.host})"
    if owner.boot != boot_tag():
        return Verdict.DEAD, f"made by pid {owner.pid} before this host last booted"
    return _process_verdict(owner.pid, owner.start)


def _process_verdict(pid: int, start: str) -> tuple[Verdict, str]:
    """A pid of this boot: gone, exited, reused by a later process, or still the owner.

    Nothing else is read into it: the command line cannot tell (pytest, a benchmark or a
    program that embeds sqlparity all own scratch spaces), and a server's sessions are asked
    as well (see `fuzzer.engines.leftovers`).
    """
    if not Path("/proc/self").exists():  # no procfs: all we can ask is whether it runs
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return Verdict.DEAD, f"its owner, pid {pid}, is gone"
        except PermissionError:
            pass
        return Verdict.ALIVE, f"its owner, pid {pid}, is running"
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return Verdict.DEAD, f"its owner, pid {pid}, is gone"
    if stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"]):
        return Verdict.DEAD, f"its owner, pid {pid}, has exited"
    started = _start_time(pid)
    if started is not None and _base36(started, _START) != start:
        return Verdict.DEAD, f"its owner, pid {pid}, is gone: that pid is a later process now"
    return Verdict.ALIVE, f"its owner, pid {pid}, is running"
