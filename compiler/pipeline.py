"""``compile_flow()``: the stages in reading order. Nothing else chains them.

load -> model -> expressions -> references -> graph -> checks -> plan
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass, field
from pathlib import Path

from compiler import expressions, graph, loader, model, planner, references
from compiler.checks import CheckContext, run_checks
from compiler.diagnostics import Collector, Diagnostic, Severity, sort_key
from compiler.graph import TaskGraph
from compiler.model import Flow
from compiler.planner import Plan
from compiler.source import SourceFile, Span

_SUPPRESS = re.compile(r"#\s*flowc:\s*ignore\[([a-z0-9,\s-]+)\]")


@dataclass
class Compilation:
    """Everything one compile produced; the networkx graph stays inside ``graph``."""

    source: SourceFile
    order: str
    flow: Flow | None = None
    sites: list[expressions.Site] = field(default_factory=list)
    extraction: references.Extraction | None = None
    graph: TaskGraph | None = None
    plan: Plan | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressed: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


@contextlib.contextmanager
def _no_cyclic_gc():
    """A compile allocates many small objects and frees none: the cyclic collector would scan
    the growing tree again and again (half the time of a 10,000-task flow). It runs again once
    the compile is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_source(text: str, path: str = "<string>", order: str = "data") -> Compilation:
    with _no_cyclic_gc():
        return _compile(text, path, order)


def _compile(text: str, path: str, order: str) -> Compilation:
    if order not in graph.ORDERS:
        raise ValueError(f"order must be one of {graph.ORDERS}, not {order!r}")
    source = SourceFile(path, text)
    result = Compilation(source, order)
    collector = Collector(path)
    documents = [d for d in loader.load(source, collector) if d.root is not None]
    if not documents and not collector.has_errors:
        collector.add(
            "invalid-flow",
            "the file is empty: a flow needs 'id', 'namespace' and 'tasks'",
            Span(1, 1, 1, 1),
        )
    for extra in documents[1:]:
        collector.add(
            "invalid-flow",
            "a flow file holds one YAML document; this one is ignored",
            extra.root.span,
            hint="put each flow in its own file",
        )
    if documents:
        result.flow = model.build(documents[0].root, source, collector)
    if result.flow is not None:
        result.sites = expressions.collect(result.flow, collector)
        result.extraction = references.extract(result.flow, result.sites)
        result.graph = graph.build(result.flow, result.extraction, order)
        run_checks(
            CheckContext(
                result.flow, result.sites, result.extraction, result.graph, collector, order
            )
        )
        result.plan = planner.plan(result.flow, result.graph, order)
    result.diagnostics, result.suppressed = _suppress(source, sorted(collector, key=sort_key))
    return result


def compile_flow(path: str | Path, order: str = "data") -> Compilation:
    """Compile one flow file. Raises OSError/UnicodeDecodeError when it cannot be read."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return compile_source(text, str(path), order)


def _suppress(
    source: SourceFile, diagnostics: list[Diagnostic]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """``# flowc: ignore[code, ...]`` on the line or the line above silences those codes."""
    if "flowc:" not in source.text:
        return diagnostics, []
    ignored: dict[int, set[str]] = {}
    for number, line in enumerate(source.lines, 1):
        match = _SUPPRESS.search(line)
        if match:
            codes = {c.strip() for c in match.group(1).split(",") if c.strip()}
            for covered in (number, number + 1):
                ignored.setdefault(covered, set()).update(codes)
    kept, dropped = [], []
    for d in diagnostics:
        (dropped if d.code in ignored.get(d.span.line, ()) else kept).append(d)
    return kept, dropped
