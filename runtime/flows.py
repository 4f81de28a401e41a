"""A directory of flows, for Subflow tasks: found by namespace and id, compiled on demand."""

from __future__ import annotations

import threading
from pathlib import Path

from compiler.lint import discover
from compiler.pipeline import Compilation, compile_flow


class FlowRepository:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._index: dict[tuple[str, str], Path] | None = None
        self._compiled: dict[Path, Compilation] = {}
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"searched --flows-dir {self.directory}"

    def _scan(self) -> dict[tuple[str, str], Path]:
        index: dict[tuple[str, str], Path] = {}
        if self.directory.is_dir():
            for path in discover([self.directory]):
                try:
                    compilation = compile_flow(path)
                except (OSError, UnicodeDecodeError):
                    continue
                flow = compilation.flow
                if flow is not None and flow.id and flow.namespace:
                    index.setdefault((flow.namespace, flow.id), path)
                    self._compiled[path] = compilation
        return index

    def find(self, namespace: str, flow_id: str) -> Compilation | None:
        with self._lock:
            if self._index is None:
                self._index = self._scan()
            path = self._index.get((namespace, flow_id))
            return None if path is None else self._compiled[path]
