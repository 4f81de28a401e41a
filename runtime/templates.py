"""Render Kestra templates: the public API of the expression engine.

::

    render("Hello {{ inputs.name }}", context)          -> "Hello Ada"
    render_typed("{{ outputs.t.rows }}", context)        -> [{"id": 1}, ...]   (native value)
    render_value({"a": "{{ x }}", "b": [1, "{{ y }}"]}, context)   (task properties)
    evaluate_expression("inputs.n > 3", context)         -> True

``context`` is any mapping of names (``flow``, ``execution``, ``inputs``, ``outputs``, ``vars``,
``taskrun``, ``parents``, ...): the engine knows none of them. ``services`` gives ``secret()``,
``read()``, ``kv()``... their backends (:class:`runtime.filters.DefaultServices` when omitted).

Every failure raises an :class:`~runtime.errors.ExpressionError`:
:class:`~runtime.errors.UndefinedError` for a missing variable, attribute or key (Kestra's
strict variables), :class:`~runtime.errors.SandboxError` for a forbidden or oversized operation.
Compiled templates are cached (bounded LRU keyed by the source string).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from runtime.evaluate import (
    DEFAULT_LIMITS,
    CompiledTemplate,
    Limits,
    compile_template,
    new_state,
)
from runtime.filters import DefaultServices

__all__ = [
    "Renderer",
    "evaluate_expression",
    "render",
    "render_typed",
    "render_value",
]

DEFAULT_CACHE_SIZE = 8192


class Renderer:
    """Services, limits and a cache of compiled templates.

    ``cache_size=0`` disables the cache (every call parses and compiles again).
    """

    def __init__(
        self,
        services: Any = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.services = services
        self.limits = limits
        self.compile: Callable[[str], CompiledTemplate] = compile_template
        if cache_size:
            self.compile = lru_cache(maxsize=cache_size)(compile_template)

    def _services(self, services: Any) -> Any:
        if services is not None:
            return services
        if self.services is None:
            self.services = DefaultServices()
        return self.services

    def _state(self, services: Any):
        return new_state(self._services(services), self.limits, self.compile)

    def render(self, template: str, context: Mapping[str, Any], *, services: Any = None) -> str:
        """Render to a string; a string without ``{`` is returned untouched."""
        if "{" not in template:
            return template
        return self.compile(template).render(context, self._state(services))

    def render_typed(
        self, template: str, context: Mapping[str, Any], *, services: Any = None
    ) -> Any:
        """A template that is one ``{{ expr }}`` gives the expression's native value."""
        if "{" not in template:
            return template
        compiled: CompiledTemplate = self.compile(template)
        state = self._state(services)
        if compiled.single is not None:
            return compiled.evaluate(context, state)
        return compiled.render(context, state)

    def render_value(
        self,
        value: Any,
        context: Mapping[str, Any],
        *,
        services: Any = None,
        typed: bool = False,
    ) -> Any:
        """Render every string inside dicts and lists (keys too, as Kestra does)."""
        render = self.render_typed if typed else self.render
        services = self._services(services)

        def walk(item: Any) -> Any:
            if isinstance(item, str):
                return render(item, context, services=services)
            if isinstance(item, Mapping):
                return {
                    (self.render(k, context, services=services) if isinstance(k, str) else k): walk(
                        x
                    )
                    for k, x in item.items()
                }
            if isinstance(item, list | tuple):
                return [walk(x) for x in item]
            return item

        return walk(value)

    def evaluate_expression(
        self, expr_source: str, context: Mapping[str, Any], *, services: Any = None
    ) -> Any:
        """Evaluate a bare expression (no delimiters), e.g. ``inputs.n > 3``."""
        compiled: CompiledTemplate = self.compile("{{ " + expr_source + " }}")
        if compiled.single is None:
            raise_not_single(expr_source)
        return compiled.evaluate(context, self._state(services))


def raise_not_single(expr_source: str) -> None:
    from runtime.errors import ExpressionError

    raise ExpressionError(f"not a single expression: '{expr_source}'", expr_source)


_DEFAULT = Renderer()


def render(template: str, context: Mapping[str, Any], *, services: Any = None) -> str:
    """Render ``template`` to a string (Kestra's string context)."""
    return _DEFAULT.render(template, context, services=services)


def render_typed(template: str, context: Mapping[str, Any], *, services: Any = None) -> Any:
    """Render ``template``; a single ``{{ expr }}`` returns the native value."""
    return _DEFAULT.render_typed(template, context, services=services)


def render_value(
    value: Any, context: Mapping[str, Any], *, services: Any = None, typed: bool = False
) -> Any:
    """Render every string inside ``value`` (dicts, lists), e.g. a task's properties."""
    return _DEFAULT.render_value(value, context, services=services, typed=typed)


def evaluate_expression(
    expr_source: str, context: Mapping[str, Any], *, services: Any = None
) -> Any:
    """Evaluate a bare expression such as ``outputs.check.code == 200``."""
    return _DEFAULT.evaluate_expression(expr_source, context, services=services)
