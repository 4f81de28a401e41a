"""What every check reads: the model, the parsed expressions, the references and the graph."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from compiler.diagnostics import Collector
from compiler.expressions import Site
from compiler.graph import TaskGraph
from compiler.model import Flow, Task
from compiler.references import Extraction, Reference


@dataclass
class CheckContext:
    flow: Flow
    sites: list[Site]
    extraction: Extraction
    graph: TaskGraph
    collector: Collector
    order: str = "data"

    @cached_property
    def tasks(self) -> dict[str, Task]:
        return self.graph.tasks

    @cached_property
    def _references(self) -> dict[tuple[str, ...], list[Reference]]:
        return {}

    def references(self, *roots: str) -> list[Reference]:
        """References that are evaluated at run time (task, flow-output and input sites, and
        variables reached through render())."""
        cached = self._references.get(roots)
        if cached is None:
            cached = self._references[roots] = self._select(roots)
        return cached

    def _select(self, roots: tuple[str, ...]) -> list[Reference]:
        return [
            r
            for r in self.extraction.references
            if r.root in roots
            and (r.site.owner_kind in ("task", "output", "input") or r.via is not None)
        ]

    @cached_property
    def outputs_cache(self) -> dict[int, Any]:
        """Declared outputs per task (references.py), computed once per task."""
        return {}

    def effective_props(self, task: Task) -> dict[str, Any]:
        return self.flow.effective_props(task)
