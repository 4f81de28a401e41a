"""Lint many files: find the flows below the given paths and compile each one."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from compiler.diagnostics import Diagnostic, Severity
from compiler.pipeline import Compilation, compile_source
from compiler.source import SourceFile, Span

_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".flowc",
    ".tox",
    ".mypy_cache",
}
_FLOW_HINT = re.compile(r"^(id|namespace|tasks)\s*:", re.M)


@dataclass
class LintResult:
    files: list[str] = field(default_factory=list)
    compilations: list[Compilation] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)  # (file, traceback)


class MissingPath(Exception):
    """A path given on the command line does not exist."""


def discover(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Named files as they are; in directories, every *.yml/*.yaml that looks like a flow."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for name in sorted(files):
                    if name.endswith((".yml", ".yaml")):
                        candidate = Path(root) / name
                        if _looks_like_flow(candidate):
                            yield candidate
        else:
            raise MissingPath(str(path))


def _looks_like_flow(path: Path) -> bool:
    try:
        with path.open("rb") as fh:  # the head is enough: the file is read in full once, later
            head = fh.read(20000).decode("utf-8", errors="replace")
    except OSError:
        return False
    return len(set(m.group(1) for m in _FLOW_HINT.finditer(head))) >= 2


def lint_file(path: Path, order: str, result: LintResult) -> None:
    name = str(path)
    result.files.append(name)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        result.diagnostics.append(
            Diagnostic(
                "yaml-syntax",
                f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                Span(1, 1, 1, 1),
                name,
                Severity.ERROR,
                "save the file as UTF-8",
            )
        )
        return
    except OSError as exc:
        result.diagnostics.append(
            Diagnostic(
                "yaml-syntax",
                f"cannot read the file: {exc.strerror}",
                Span(1, 1, 1, 1),
                name,
                Severity.ERROR,
            )
        )
        return
    try:
        compilation = compile_source(text, name, order)
    except Exception:  # a bug in flowc: reported, never hidden, and the other files still run
        result.internal_errors.append((name, traceback.format_exc()))
        return
    result.compilations.append(compilation)
    result.sources[name] = compilation.source
    result.diagnostics.extend(compilation.diagnostics)


def lint(paths: Iterable[str | Path], order: str = "data") -> LintResult:
    result = LintResult()
    for path in discover(paths):
        lint_file(path, order, result)
    return result
