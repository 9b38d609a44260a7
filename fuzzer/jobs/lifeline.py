"""A worker's tie to its coordinator: it stops within seconds when told to halt or orphaned.

Workers ignore SIGINT and SIGTERM (the coordinator decides when a check may be cut short), so
something else must end them when the coordinator is gone, `kill -9` included, or when a check
overruns the job's deadline. That is HALT (SIGUSR1): the coordinator sends it, and on Linux the
kernel sends it when the coordinator dies (a parent-death signal); elsewhere, and as a second
line, the parent's sentinel closing or the parent pid changing says the same.

The signal is only a wake-up: a thread of the lifeline's own does the work, since a Python
signal handler would wait for the main thread to leave the engine's C code. It interrupts the
statements, lets the worker's main thread stop at its next statement, and when that takes too
long (an engine that ignores interrupts), closes the engines itself and ends the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fuzzer.engines import Engine

HALT = signal.SIGUSR1
#: How long the worker's main thread has to stop by itself once halted.
GRACE_SECONDS = 2.0
#: How long closing the engines (dropping their scratch space) may take after that.
CLOSE_SECONDS = 1.5
#: How often the parent pid is checked, where nothing wakes the lifeline up.
POLL_SECONDS = 1.0
#: The exit code of a worker that the lifeline had to end.
EXIT_HALTED = 4

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int) -> None:
    """Linux: have the kernel send `signum` to this process when its parent dies.

    Elsewhere it does nothing; the liveness check then does the work.
    """
    set_death_signal = _death_signal_setter()
    if set_death_signal is not None:
        set_death_signal(signum)


def _death_signal_setter() -> Callable[[int], object] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda signum: prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)


class Lifeline:
    """Set up in the worker's main thread, before any engine is opened."""

    def __init__(self) -> None:
        self.halted = threading.Event()  # the worker's main thread stops when this is set
        self.orphaned = False  # ...and the coordinator is gone: nothing may wait for it
        self._engines: tuple[Engine, ...] = ()
        self._finished = threading.Event()
        self._parent = multiprocessing.parent_process()
        self._parent_pid = os.getppid()
        self._wake, wake_w = socket.socketpair()
        wake_w.setblocking(False)
        self._wake_w = wake_w  # kept open: the C signal handler writes to it
        signal.signal(HALT, lambda signum, frame: None)  # installs the C handler
        signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        die_with_parent(HALT)
        threading.Thread(target=self._watch, name="sqlparity-lifeline", daemon=True).start()

    def hold(self, *engines: Engine | None) -> None:
        """The engines to interrupt, and to close if the main thread cannot."""
        self._engines = tuple(e for e in engines if e is not None)

    def finished(self) -> None:
        """The main thread has closed everything: nothing is left for the lifeline to do."""
        self._finished.set()

    def _gone(self) -> bool:
        if os.getppid() != self._parent_pid:
            return True
        return self._parent is not None and not self._parent.is_alive()

    def _watch(self) -> None:
        waits: list[object] = [self._wake]
        if self._parent is not None and self._parent.sentinel is not None:
            waits.append(self._parent.sentinel)
        while not multiprocessing.connection.wait(waits, timeout=POLL_SECONDS):
            if self._gone():
                break
        self.orphaned = self._gone()
        self.halted.set()
        for engine in self._engines:
            engine.interrupt()
        if self._finished.wait(GRACE_SECONDS):
            return
        closing = threading.Thread(target=self._close, daemon=True)
        closing.start()
        closing.join(CLOSE_SECONDS)
        os._exit(EXIT_HALTED)

    def _close(self) -> None:
        for engine in self._engines:
            with contextlib.suppress(Exception):  # best effort: the process ends anyway
                engine.close()


def bind_subprocess() -> Callable[[], None] | None:
    """A preexec_fn that has the kernel kill the subprocess with its parent (Linux only).

    The setting survives exec. The C function is looked up here, in the parent: a forked child
    of a process with threads must not load libraries before it execs.
    """
    set_death_signal = _death_signal_setter()
    if set_death_signal is None:
        return None
    parent = os.getpid()

    def bind() -> None:
        set_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was set
            os._exit(1)

    return bind
