"""flowc's static half: load, parse, check and plan Kestra flows (never imports ``runtime``).

>>> from compiler import compile_flow
>>> result = compile_flow("examples/seed_4_duckdb_process.yaml")
>>> result.plan.layers
(('api',), ('python',), ('sqlQuery',))
"""

from compiler.diagnostics import CODES, Diagnostic, Severity
from compiler.lint import LintResult, lint
from compiler.pipeline import Compilation, compile_flow, compile_source

__all__ = [
    "CODES",
    "Compilation",
    "Diagnostic",
    "LintResult",
    "Severity",
    "compile_flow",
    "compile_source",
    "lint",
]
