"""Registries that other packages extend: built-ins by module, the rest by entry point.

Engines (`sqlparity.engines`) and oracles (`sqlparity.oracles`) are found the same way: a name
maps to `module:Class`, the built-ins listed so that sqlparity runs from its sources alone, and
a module is imported only when its name is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any


def registered(builtin: Mapping[str, str], group: str) -> dict[str, str]:
    """Every name the group knows, with its `module:Class`; a built-in wins a clash."""
    found = dict(builtin)
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep.value)
    return found


def load(target: str) -> Any:
    """The class a `module:Class` names (its module's ImportError passes through)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
