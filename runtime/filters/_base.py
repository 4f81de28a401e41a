"""Shared plumbing of the filter library: argument binding, ``pass_context``, coercions.

Each filter, function and test is a plain Python function whose parameters carry Pebble's
argument names (``timeZone``, ``existingFormat``...), so positional and named calls bind the
way Pebble binds them. :func:`bound` wraps it so that a wrong call raises ExpressionError with
the valid names instead of a Python TypeError.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from runtime.errors import ExpressionError
from runtime.values import is_number, type_name

F = TypeVar("F", bound=Callable[..., Any])


class _Missing:
    """Default of an argument whose absence differs from null (``fromJson()`` vs ``fromJson(null)``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def pass_context(f: F) -> F:
    """Mark ``f`` as needing the evaluation context: it is called ``f(ctx, ...)``."""
    f.pass_context = True  # type: ignore[attr-defined]
    return f


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def bound(kind: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``fn`` so that calls are checked against its signature with clear messages.

    ``kind`` is ``filter``, ``function`` or ``test``; filters and tests receive their input as
    the first positional argument, which is not counted in messages.
    """
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    skip = (1 if getattr(fn, "pass_context", False) else 0) + (0 if kind == "function" else 1)
    visible = params[skip:]
    names = [
        p.name
        for p in visible
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    positional = [p for p in visible if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]
    varargs = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in visible)
    label = f"{kind} '{name}'"

    def describe(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        listed = ", ".join(f"'{n}'" for n in names)
        for key in kwargs:
            if key not in names:
                if not names:
                    return f"{label} takes no named arguments, got '{key}'"
                return f"{label} has no argument named '{key}'; its arguments are {listed}"
        given = len(args) - skip
        if not varargs and given > len(positional):
            if not positional:
                return f"{label} takes no arguments, {given} given"
            return (
                f"{label} takes at most {_plural(len(positional), 'argument')} ({listed}), "
                f"{given} given"
            )
        for i, p in enumerate(positional):
            if i + skip < len(args) and p.name in kwargs:
                return f"{label} got the argument '{p.name}' twice (by position and by name)"
        return f"{label} cannot be called with these arguments"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError:
            raise ExpressionError(describe(args, kwargs)) from None
        return fn(*args, **kwargs)

    wrapper.argument_names = tuple(names)  # type: ignore[attr-defined]
    return wrapper


# --- coercions with Pebble/Kestra's casts ----------------------------------------------------


def fail(kind: str, name: str, message: str) -> ExpressionError:
    return ExpressionError(f"{kind} '{name}' {message}")


def need(value: Any, kind: str, name: str, arg: str) -> Any:
    """A required argument (Pebble passes null for a missing one)."""
    if value is None:
        raise fail(kind, name, f"needs the argument '{arg}'")
    return value


def want_int(value: Any, kind: str, name: str, arg: str, *, truncate: bool = False) -> int:
    """An integer argument; ``truncate`` accepts any number (Java ``intValue()``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if truncate and is_number(value):
        return int(value)
    raise fail(kind, name, f"expects an integer for '{arg}', got {_shown(value)}")


def want_str(value: Any, kind: str, name: str, arg: str) -> str:
    if isinstance(value, str):
        return value
    raise fail(kind, name, f"expects a string for '{arg}', got {_shown(value)}")


def want_bool(value: Any, kind: str, name: str, arg: str) -> bool:
    if isinstance(value, bool):
        return value
    raise fail(kind, name, f"expects a boolean for '{arg}', got {_shown(value)}")


def input_str(value: Any, kind: str, name: str) -> str:
    """The input of a filter that casts it to ``String`` in Java."""
    if isinstance(value, str):
        return value
    raise fail(kind, name, f"can only be applied to a string, got {_shown(value)}")


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal | int | float | str | bool):
        return f"'{value!r}' ({type_name(value)})" if not isinstance(value, str) else repr(value)
    return f"a value of type {type_name(value)}"
