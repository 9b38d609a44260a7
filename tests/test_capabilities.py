"""The capabilities object: declared once per dialect, narrowed generically by the options."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from fuzzer.dialects import DIALECTS, get
from fuzzer.dialects.capabilities import Capabilities

MODES = [
    {"portable": True},
    {"deterministic": True},
    {"portable": True, "deterministic": True},
]
FIELDS = [f.name for f in dataclasses.fields(Capabilities)]


def allows_no_more(narrow: object, wide: object) -> bool:
    """Is every construct the narrowed value allows also allowed by the declared one?"""
    if isinstance(narrow, bool):
        return not narrow or bool(wide)
    if isinstance(narrow, Mapping):
        assert isinstance(wide, Mapping)
        return all(k in wide and allows_no_more(v, wide[k]) for k, v in narrow.items())
    if isinstance(narrow, tuple):
        assert isinstance(wide, tuple)
        return set(narrow) <= set(wide)
    return narrow == wide


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_option_narrows_nothing(dialect: str) -> None:
    caps = get(dialect).capabilities
    assert caps.narrowed() == caps


@pytest.mark.parametrize("mode", MODES, ids=lambda m: "+".join(m))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_narrowed_capability_never_allows_what_the_dialect_does_not(
    dialect: str, mode: dict[str, bool]
) -> None:
    caps = get(dialect).capabilities
    narrowed = caps.narrowed(**mode)
    for name in FIELDS:
        assert allows_no_more(getattr(narrowed, name), getattr(caps, name)), name


@pytest.mark.parametrize("mode", MODES, ids=lambda m: "+".join(m))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_narrowing_twice_is_narrowing_once(dialect: str, mode: dict[str, bool]) -> None:
    once = get(dialect).capabilities.narrowed(**mode)
    assert once.narrowed(**mode) == once


@pytest.mark.parametrize("dialect", DIALECTS)
def test_portable_mode_keeps_only_what_every_dialect_means_alike(dialect: str) -> None:
    caps = get(dialect).capabilities.narrowed(portable=True)
    assert set(caps.families) <= {"int", "text"}
    assert set(caps.column_types) <= {"int", "text"}
    assert all(len(types) == 1 for types in caps.column_types.values())  # one type per family
    assert "FULL" not in caps.joins and "RIGHT" not in caps.joins
    assert "GROUPS" not in caps.frame_units
    assert not (caps.lateral or caps.distinct_on or caps.casts or caps.like_ops)
    assert set(caps.maintenance) <= {"ANALYZE"}


def test_deterministic_mode_keeps_string_aggregates_only_where_they_can_be_ordered() -> None:
    for dialect in DIALECTS:
        caps = get(dialect).capabilities
        assert caps.narrowed(deterministic=True).string_aggregate == caps.string_agg_order
    assert not get("sqlite").capabilities.narrowed(deterministic=True).string_aggregate


def test_capabilities_are_frozen_down_to_their_mappings() -> None:
    caps = get("sqlite").capabilities
    with pytest.raises(dataclasses.FrozenInstanceError):
        caps.lateral = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        caps.maintenance["VACUUM"] = True  # type: ignore[index]
    with pytest.raises(TypeError):
        caps.narrowed(portable=True).column_types["int"] = ()  # type: ignore[index]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_dialect_declares_its_capabilities_only_in_its_capabilities_object(
    dialect: str,
) -> None:
    """A capability spelled as a class attribute again would be a second declaration that the
    generator never reads."""
    declared = {name for klass in type(get(dialect)).__mro__ for name in vars(klass)}
    assert not declared & set(FIELDS)
