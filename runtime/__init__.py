"""flowc's runtime: run a compiled flow, keep its state, outputs and files, resume it.

Heavy modules are imported on first use (``flowc lint`` never loads them).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "RunOptions",
    "evaluate",
    "open_home",
    "render",
    "render_typed",
    "replay",
    "resume",
    "run_flow",
]

_WHERE = {
    "RunOptions": "runtime.engine",
    "evaluate": "runtime.runs",
    "open_home": "runtime.runs",
    "render": "runtime.templates",
    "render_typed": "runtime.templates",
    "replay": "runtime.runs",
    "resume": "runtime.runs",
    "run_flow": "runtime.runs",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
