"""What every check reads: the model, the parsed expressions, the references and the graph."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from compiler import catalog
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
    def _props(self) -> dict[int, dict[str, Any]]:
        return {}

    @cached_property
    def outputs_cache(self) -> dict[int, Any]:
        """Declared outputs per task (references.py), computed once per task."""
        return {}

    def effective_props(self, task: Task) -> dict[str, Any]:
        """The task's properties with pluginDefaults applied (the task's own values win
        unless the default is forced). Computed once per task; callers must not mutate it."""
        cached = self._props.get(id(task))
        if cached is None:
            cached = self._props[id(task)] = self._compute_props(task)
        return cached

    def _compute_props(self, task: Task) -> dict[str, Any]:
        props = task.node.to_python()
        for default in self.flow.defaults_for(task.type):
            if default.values is None:
                continue
            for key, value in default.values.to_python().items():
                if default.forced or key not in props:
                    props[key] = value
        return props

    def task_type(self, task: Task) -> catalog.TaskType | None:
        return catalog.lookup(task.type)
