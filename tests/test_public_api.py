"""The packages' public surfaces: short, sorted, importable; the compiler never imports the
runtime; `flowc lint` does not load the heavy runtime libraries."""

from __future__ import annotations

import subprocess
import sys

import compiler
import runtime


def test_all_is_sorted_and_importable():
    for package in (compiler, runtime):
        assert package.__all__ == sorted(package.__all__)
        for name in package.__all__:
            assert getattr(package, name) is not None


def test_compiler_never_imports_runtime():
    code = (
        "import sys, compiler, compiler.pipeline, compiler.lint, compiler.report, compiler.draw, compiler.schema;"
        "compiler.compile_flow('examples/seed_4_duckdb_process.yaml');"
        "print(sorted(m for m in sys.modules if m == 'runtime' or m.startswith('runtime.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_lint_does_not_load_heavy_libraries():
    code = (
        "import sys; from click.testing import CliRunner; from runtime.cli import main;"
        "r = CliRunner().invoke(main, ['lint', 'examples/seed_4_duckdb_process.yaml']); assert r.exit_code == 0, r.output;"
        "print(sorted(m for m in ('duckdb', 'polars', 'docker', 'httpx', 'distributed', 'graphviz', 'jq') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
