"""Hypothesis strategies for values of mission database fields."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from ccsds.mission_db.model import Field
from ccsds.pus_types import Ptc, PusType, Value
from ccsds.timecode import CucTime


def type_values(pus_type: PusType) -> st.SearchStrategy[Value]:
    """Any valid value of a PUS type."""
    ptc = pus_type.ptc
    size = pus_type.fixed_size
    if ptc == Ptc.BOOLEAN:
        return st.booleans()
    if pus_type.is_integer:
        low, high = pus_type.value_range()
        return st.integers(low, high)
    if ptc == Ptc.REAL:
        return st.floats(width=32 if pus_type.pfc == 1 else 64, allow_nan=False)
    if ptc == Ptc.OCTET_STRING:
        return st.binary(min_size=size or 0, max_size=size or 300)
    if ptc == Ptc.CHARACTER_STRING:
        if size is None:
            return st.text(max_size=100)
        return st.text(st.characters(max_codepoint=0x7F), min_size=size, max_size=size)
    return st.builds(CucTime, st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1))


def field_values(item: Field) -> st.SearchStrategy[Value]:
    """Any value the field accepts (type, range and enumeration)."""
    if item.enumeration:
        return st.sampled_from([value for _, value in item.enumeration])
    pus_type = item.pus_type
    if pus_type.is_integer and (item.minimum is not None or item.maximum is not None):
        low, high = pus_type.value_range()
        if item.minimum is not None:
            low = max(low, math.ceil(item.minimum))
        if item.maximum is not None:
            high = min(high, math.floor(item.maximum))
        return st.integers(low, high)
    if pus_type.ptc == Ptc.REAL and (item.minimum is not None or item.maximum is not None):
        return st.floats(item.minimum, item.maximum, width=32 if pus_type.pfc == 1 else 64)
    return type_values(pus_type)


def fields_values(fields: tuple[Field, ...]) -> st.SearchStrategy[dict[str, Value]]:
    """A dict with a valid value for every field."""
    return st.fixed_dictionaries({item.name: field_values(item) for item in fields})
