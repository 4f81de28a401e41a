"""Tests (``x is <test>``): Pebble's core tests and Kestra's ``json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.errors import ExpressionError
from runtime.filters.codecs import is_json_text
from runtime.filters.containers import is_empty
from runtime.values import type_name


def test_defined(value: Any, /) -> bool:
    """``is defined``: not null. The evaluator turns an undefined name into ``None`` first."""
    return value is not None


def test_null(value: Any, /) -> bool:
    return value is None


def test_empty(value: Any, /) -> bool:
    """Null, a blank string, an empty list or map."""
    return is_empty(value)


def _parity(value: Any, name: str) -> int:
    if value is None:
        raise ExpressionError(f'Can not pass null value to "{name}" test')
    if not isinstance(value, int) or isinstance(value, bool):
        raise ExpressionError(f"test '{name}' needs an integer, got {type_name(value)}")
    return value % 2


def test_even(value: Any, /) -> bool:
    return _parity(value, "even") == 0


def test_odd(value: Any, /) -> bool:
    return _parity(value, "odd") == 1


def test_iterable(value: Any, /) -> bool:
    """Lists are iterable; maps and strings are not (Java ``Iterable``)."""
    return isinstance(value, list | tuple | set | frozenset)


def test_map(value: Any, /) -> bool:
    return isinstance(value, Mapping)


def test_json(value: Any, /) -> bool:
    """A string that parses as JSON (Kestra's ``JsonTest``)."""
    return is_json_text(value)
