"""Passwords typed on the command line, taken out of what `ps` shows of this process.

Any user of the machine can read a process's command line (/proc/PID/cmdline). sqlparity's own
children never get a URL there (workers get theirs through a pipe, reducers through the
environment, which only the same user can read), but the coordinator's command line is the
one the user typed. When it holds a password, the process overwrites its own argv at once and
says how to keep the password out of it from the start: the environment, or the drivers' own
password files.
"""

from __future__ import annotations

import shlex
import sys

from fuzzer.console import err
from triage.store import scrub


def hide_passwords(argv: list[str] | None = None) -> bool:
    """Mask the passwords of URLs in this process's command line; True if there were any."""
    argv = sys.argv if argv is None else argv
    shown = [scrub(arg) for arg in argv]
    if shown == argv:
        return False
    # Imported only here: most command lines hold no password, and the old-engine
    # environments of the known-bugs tests run sqlparity without it.
    try:
        from setproctitle import setproctitle
    except ImportError:
        hidden = "and stays so (setproctitle is not installed)"
    else:
        setproctitle(shlex.join(["fuzz", *shown[1:]]))
        hidden = "until sqlparity hides it"
    err.print(
        f"fuzz: warning: a password on the command line is visible to other users {hidden}: "
        "prefer SQLPARITY_TARGET / SQLPARITY_REFERENCE, PGPASSWORD or ~/.pgpass, MYSQL_PWD "
        "or an option file",
        markup=False,
    )
    return True
