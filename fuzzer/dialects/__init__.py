"""One renderer per SQL dialect, found by name: `fuzzer.dialects.<name>` defines it.

`render(node, "postgres")` is the whole API most callers need; `get(name)` gives the
`Dialect` object whose capabilities the generator consults.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from fuzzer.dialects.base import Dialect, family

__all__ = ["DIALECTS", "Dialect", "family", "get", "render"]

#: The dialects that ship with sqlparity (engine.dialect names).
DIALECTS = ("sqlite", "duckdb", "postgres", "mysql", "datafusion")


@cache
def get(name: str) -> Dialect:
    """The dialect called `name`, from the module of the same name."""
    try:
        module = importlib.import_module(f"fuzzer.dialects.{name}")
    except ModuleNotFoundError as exc:
        raise ValueError(f"unknown SQL dialect {name!r} (known: {', '.join(DIALECTS)})") from exc
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Dialect) and value.name == name:
            return value()
    raise ValueError(f"module fuzzer.dialects.{name} defines no dialect {name!r}")


def render(node: Any, dialect: str | Dialect) -> str:
    """SQL text for a statement, query or expression in the given dialect."""
    return (get(dialect) if isinstance(dialect, str) else dialect).render(node)
