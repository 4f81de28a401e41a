"""Collection filters: first/last/length, join, keys/values, sort, slice, merge, chunk..."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.filters._base import fail, need, want_int, want_str
from runtime.values import is_number, java_equals, java_hashmap, java_str, length, type_name

K = "filter"
_SEQ = (list, tuple)


def is_empty(value: Any) -> bool:
    """Pebble's ``empty`` test: null, a blank string, an empty collection or map."""
    if value is None:
        return True
    if isinstance(value, str):
        return all(ch <= " " for ch in value)  # "".equals(value.trim())
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return len(value) == 0
    return False


def do_default(value: Any, /, default: Any = None) -> Any:
    """``default(value)``: replaces null and empty values (not ``0`` nor ``false``).

    The evaluator also routes an undefined variable or attribute here as ``None``.
    """
    return default if is_empty(value) else value


def _item(value: Any, name: str, last: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise fail(K, name, "cannot take a character of an empty string")
        return value[-1] if last else value[0]
    if isinstance(value, _SEQ):
        if not value:
            return None
        return value[-1] if last else value[0]
    if isinstance(value, set | frozenset):
        items = list(value)
        return (items[-1] if last else items[0]) if items else None
    raise fail(K, name, f"can only be applied to a list or a string, got {type_name(value)}")


def do_first(value: Any, /) -> Any:
    """The first item of a list, the first character of a string."""
    return _item(value, "first", last=False)


def do_last(value: Any, /) -> Any:
    """The last item of a list, the last character of a string."""
    return _item(value, "last", last=True)


def do_length(value: Any, /) -> int:
    """Characters (UTF-16 units) of a string, items of a list or map, 0 for null."""
    return length(value)


def do_join(value: Any, /, separator: Any = None) -> Any:
    """``join(separator)``: items as Java strings (``null`` for null items)."""
    if value is None:
        return None
    if not isinstance(value, _SEQ + (set, frozenset)):
        raise fail(K, "join", f"expects a list as input, got {type_name(value)}")
    glue = "" if separator is None else want_str(separator, K, "join", "separator")
    return glue.join(java_str(item) for item in value)


def do_keys(value: Any, /) -> Any:
    """Keys of a map, or the indexes of a list."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, _SEQ):
        return list(range(len(value)))
    raise fail(K, "keys", f"can only be applied to a list or a map, got {type_name(value)}")


def do_values(value: Any, /) -> Any:
    """Values of a map."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise fail(K, "values", f"can only be applied to a map, got {type_name(value)}")


def _sort_key(name: str):
    def key(item: Any) -> tuple[int, Any]:
        if isinstance(item, bool):
            return (0, item)
        if is_number(item):
            return (1, item)
        if isinstance(item, str):
            return (2, item)
        raise fail(K, name, f"cannot compare a value of type {type_name(item)}")

    return key


def _sorted(value: Any, name: str, reverse: bool) -> Any:
    if value is None:
        return None
    if not isinstance(value, _SEQ):
        raise fail(K, name, f"can only be applied to a list, got {type_name(value)}")
    key = _sort_key(name)
    kinds = {key(item)[0] for item in value}
    if len(kinds) > 1:
        raise fail(K, name, "cannot compare items of different types (Java natural order)")
    return sorted(value, key=key, reverse=reverse)


def do_sort(value: Any, /) -> Any:
    """Natural (Java ``Comparable``) order; strings by code point, case-sensitive."""
    return _sorted(value, "sort", reverse=False)


def do_rsort(value: Any, /) -> Any:
    """Reverse natural order."""
    return _sorted(value, "rsort", reverse=True)


def do_reverse(value: Any, /) -> Any:
    """The list in reverse order (a new list; Pebble reverses in place)."""
    if value is None:
        return None
    if not isinstance(value, _SEQ):
        raise fail(K, "reverse", f"can only be applied to a list, got {type_name(value)}")
    return list(reversed(value))


def do_slice(value: Any, /, fromIndex: Any = None, toIndex: Any = None) -> Any:
    """``slice(fromIndex, toIndex)``: toIndex exclusive; no negative or out-of-range index."""
    if value is None:
        return None
    start = 0 if fromIndex is None else _index(fromIndex, "fromIndex")
    if start < 0:
        raise fail(K, "slice", f"needs 'fromIndex' of zero or more, got {start}")
    if not isinstance(value, _SEQ + (str,)):
        raise fail(K, "slice", f"can only be applied to a string or a list, got {type_name(value)}")
    size = len(value)
    if toIndex is None:
        end = size
        if start > size:
            raise fail(K, "slice", f"'fromIndex' {start} is past the end ({size})")
    else:
        end = _index(toIndex, "toIndex")
        if end > size:
            raise fail(K, "slice", f"needs 'toIndex' at most the input size {size}, got {end}")
        if start >= end:
            raise fail(K, "slice", f"needs 'toIndex' ({end}) greater than 'fromIndex' ({start})")
    result = value[start:end]
    return list(result) if isinstance(value, tuple) else result


def _index(value: Any, arg: str) -> int:
    if not is_number(value):
        raise fail(K, "slice", f"expects a number for '{arg}', got {type_name(value)}")
    return int(value)


def do_merge(value: Any, /, items: Any = None) -> Any:
    """``merge(items)``: maps merge into a (hash-ordered) map, lists concatenate."""
    if value is None:
        if items is None:
            raise fail(K, "merge", "has nothing to merge: both sides are null")
        return items
    if items is None:
        return value
    if isinstance(value, Mapping):
        capacity = len(value) + (len(items) if isinstance(items, Mapping | list | tuple) else 0)
        if isinstance(items, Mapping):
            return java_hashmap([*value.items(), *items.items()], capacity + 16)
        if isinstance(items, _SEQ):
            return java_hashmap([*value.items(), *((x, x) for x in items)], capacity + 16)
        raise fail(K, "merge", f"can only merge a map or a list into a map, got {type_name(items)}")
    if isinstance(value, _SEQ):
        if isinstance(items, Mapping):
            return [*value, *({k: v} for k, v in items.items())]
        if isinstance(items, _SEQ):
            return [*value, *items]
        raise fail(
            K, "merge", f"can only merge a map or a list into a list, got {type_name(items)}"
        )
    raise fail(K, "merge", f"can only be applied to a map or a list, got {type_name(value)}")


def do_distinct(value: Any, /) -> Any:
    """Items of a list without duplicates (``equals()``), first occurrences kept.

    Kestra returns the *string* ``"null"`` for a null input; flowc does the same.
    """
    if value is None:
        return "null"
    if not isinstance(value, _SEQ):
        raise fail(K, "distinct", f"can only be applied to a list, got {type_name(value)}")
    result: list[Any] = []
    for item in value:
        if not any(java_equals(item, seen) for seen in result):
            result.append(item)
    return result


def do_chunk(value: Any, /, size: Any = None) -> Any:
    """``chunk(size)``: consecutive sub-lists of ``size`` items (the last may be shorter)."""
    if value is None:
        return None
    count = want_int(need(size, K, "chunk", "size"), K, "chunk", "size")
    if not isinstance(value, _SEQ):
        raise fail(K, "chunk", f"can only be applied to a list, got {type_name(value)}")
    if count <= 0:
        raise fail(K, "chunk", f"needs a 'size' greater than zero, got {count}")
    return [list(value[i : i + count]) for i in range(0, len(value), count)]


def do_flatten(value: Any, /) -> Any:
    """One level of nested lists flattened."""
    if value is None:
        return None
    if not isinstance(value, _SEQ):
        raise fail(K, "flatten", f"can only be applied to a list, got {type_name(value)}")
    result: list[Any] = []
    for item in value:
        if isinstance(item, _SEQ):
            result.extend(item)
        else:
            result.append(item)
    return result
