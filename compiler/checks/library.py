"""Filters, functions and tests must exist in Kestra's Pebble (names from the catalog)."""

from __future__ import annotations

from compiler import catalog
from compiler.checks.context import CheckContext
from compiler.diagnostics import did_you_mean

_KNOWN = {
    "filter": lambda: catalog.FILTERS,
    "function": lambda: catalog.FUNCTIONS,
    "test": lambda: catalog.TESTS,
}
_CODES = {"filter": "unknown-filter", "function": "unknown-function", "test": "unknown-test"}
#: Jinja habits that Pebble spells differently: name -> the Kestra way.
JINJA_NAMES = {
    "tojson": "toJson",
    "to_json": "toJson",
    "int": "number('INT')",
    "float": "number('FLOAT')",
    "strftime": "date('yyyy-MM-dd')",
    "from_json": "fromJson(...)",
    "fromjson": "fromJson(...)",
    "d": "default(...)",
    "list": "a [..] literal",
    "dict": "a {..} literal",
    "count": "length",
    "e": "escapeChar",
    "tojson_pretty": "toJson",
    "b64encode": "base64encode",
    "b64decode": "base64decode",
    # Pebble filters Kestra removes (VariableRenderer)
    "numberformat": "numberFormat (camelCase in Kestra)",
    "escape": "escapeChar('single'|'double'|'shell') (Kestra removes escape)",
    "raw": "{% raw %}...{% endraw %} (Kestra removes the raw filter)",
}


def _check(ctx: CheckContext, kind: str) -> None:
    known = _KNOWN[kind]()
    for use in ctx.extraction.library:
        if use.kind != kind or use.name in known:
            continue
        if kind == "test" and use.name in ("defined", "null"):
            continue
        alternative = JINJA_NAMES.get(use.name)
        match = did_you_mean(use.name, known)
        hint = (
            f"Pebble writes it {alternative}"
            if alternative
            else (f"did you mean '{match}'?" if match else None)
        )
        ctx.collector.add(
            _CODES[kind],
            f"unknown {kind} '{use.name}'",
            use.span,
            hint=hint,
            task=use.site.task.id if use.site.task else None,
        )


def unknown_filter(ctx: CheckContext) -> None:
    _check(ctx, "filter")


def unknown_function(ctx: CheckContext) -> None:
    _check(ctx, "function")


def unknown_test(ctx: CheckContext) -> None:
    _check(ctx, "test")
