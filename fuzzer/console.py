"""Where the CLI writes: results to stdout, progress and errors to stderr, one line per error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_FOUND = 1  # a check found a problem
EXIT_USAGE = 2  # bad input: an unreadable file, an unknown URL scheme, an unreachable engine


def fail(message: str) -> NoReturn:
    err.print(f"fuzz: error: {message}", markup=False)
    sys.exit(EXIT_USAGE)


def write_output(path: Path, text: str, *, kept: str = "") -> None:
    """Write a file the user named, or fail in one line (saying where the work was `kept`)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}{'; ' + kept if kept else ''}")
