"""Scratch-space names that record their owner, and whether that owner is provably gone.

A worker killed with SIGKILL, or a machine that lost power, leaves its scratch database on the
server. Its name says who made it (`sqlparity_HHHHHHBBBB_PID_RAND`): a tag of the host, a tag
of the host's boot, and the owner's pid in base 36, so that `fuzz engines clean` can tell a
leftover from the live scratch space of a concurrent run without any state of its own. At most
31 characters, lower case: MySQL 8 user names are limited to 32, and a scratch role or user is
named after its database.

The verdict errs one way only: anything that cannot be proved dead is kept. The host tag hashes
the host name, the machine id and the pid namespace, since a pid means nothing outside its
namespace (two containers on one kernel share the boot id but not their pids).
"""

from __future__ import annotations

import hashlib
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
_NAME = re.compile(
    SCRATCH_PREFIX
    + r"(?P<host>[0-9a-f]{6})(?P<boot>[0-9a-f]{4})_(?P<pid>[0-9a-z]{1,6})_[0-9a-z]{4,}"
)

#: Executables that can host sqlparity; a pid now running anything else was reused.
_INTERPRETER = re.compile(r"python|pypy", re.IGNORECASE)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _tag(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


@cache
def host_tag() -> str:
    """This host, as far as pids are concerned: host name, machine id, pid namespace."""
    machine = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return _tag(f"{socket.gethostname()}\0{machine}\0{_pid_namespace()}", 6)


@cache
def boot_tag() -> str:
    """This boot of the host: a pid from an earlier boot is certainly gone."""
    return _tag(_read("/proc/sys/kernel/random/boot_id"), 4)


def _base36(n: int) -> str:
    digits = ""
    while True:
        n, d = divmod(n, 36)
        digits = _DIGITS[d] + digits
        if n == 0:
            return digits


def scratch_name() -> str:
    """A name that says who made it and cannot collide with a concurrent run."""
    head = f"{SCRATCH_PREFIX}{host_tag()}{boot_tag()}_{_base36(os.getpid())}_"
    return head + "".join(secrets.choice(_DIGITS) for _ in range(MAX_LENGTH - len(head)))


@dataclass(frozen=True)
class ScratchOwner:
    """Who made a scratch space, read back from its name."""

    host: str
    boot: str
    pid: int

    @classmethod
    def parse(cls, name: str) -> ScratchOwner | None:
        """The owner a name records; None for names that record none (older sqlparity)."""
        m = _NAME.fullmatch(name)
        if m is None:
            return None
        return cls(m["host"], m["boot"], int(m["pid"], 36))


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
    return _process_verdict(owner.pid)


def _process_verdict(pid: int) -> tuple[Verdict, str]:
    """A pid of this boot: gone, a zombie, or reused by a program that cannot be sqlparity.

    Any doubt (a process we may not inspect, a Python that might be a test run or a library
    user) keeps the leftover: a reused pid only delays its cleaning until that process ends.
    The command line says nothing more: pytest, a benchmark or a program that embeds sqlparity
    all own scratch spaces. A server's sessions are asked as well (see `leftovers`).
    """
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():  # no procfs: all we can ask is whether it runs
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return Verdict.DEAD, f"its owner, pid {pid}, is gone"
        except PermissionError:
            pass
        return Verdict.ALIVE, f"its owner, pid {pid}, is running"
    stat = _read(f"{proc}/stat")
    if not stat:
        return Verdict.DEAD, f"its owner, pid {pid}, is gone"
    if stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"]):
        return Verdict.DEAD, f"its owner, pid {pid}, has exited (a zombie)"
    try:
        exe = os.path.basename(os.readlink(f"{proc}/exe"))
    except OSError:
        return Verdict.ALIVE, f"its owner, pid {pid}, is running"
    if exe.endswith(" (deleted)") or _INTERPRETER.search(exe):
        return Verdict.ALIVE, f"its owner, pid {pid}, is running ({exe})"
    return Verdict.DEAD, f"its owner, pid {pid}, is gone: that pid now runs {exe}"
