"""The compiler's names of filters, functions and tests (compiler/catalog.py) and the runtime's
implementations (runtime/filters/) stay equal, but for names that are documented here."""

from __future__ import annotations

from compiler import catalog
from runtime import filters

#: accepted by the compiler (real Kestra names) but not evaluated by flowc's runtime
NOT_IMPLEMENTED = {
    "FILTERS": {"regexExtract", "regexMatch", "regexReplace"},  # Kestra develop (2.0)
    "FUNCTIONS": {
        "assets",  # Enterprise Edition
        "block",  # Pebble template inheritance: no parent templates in a flow
        "parent",
        "env",  # Kestra develop (2.0)
        "isLastWorkingDay",
        "loopOutputs",
        "nanoId",
        "subflow",
    },
    "TESTS": set(),
}


def test_every_implementation_is_declared_and_every_declaration_implemented():
    for kind, missing in NOT_IMPLEMENTED.items():
        declared = set(getattr(catalog, kind))
        implemented = set(getattr(filters, kind))
        assert implemented - declared == set(), kind
        assert declared - implemented == missing, kind


def test_kestra_removed_pebble_filters_are_unknown():
    from compiler.pipeline import compile_source

    text = "id: f\nnamespace: a\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ 1.5 | numberformat('0.0') }}\"\n"
    [d] = compile_source(text).diagnostics
    assert d.code == "unknown-filter" and "numberFormat" in d.hint
