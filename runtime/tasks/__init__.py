"""The registry of runnable task implementations.

::

    TASKS                      canonical type -> implementation (built-in types)
    implementation(type_name)  the implementation of a canonical type, a legacy alias or a
                               third-party type; None when flowc cannot run it
    implemented_types()        every runnable type flowc can run (canonical names)
    declarations()             catalog declarations of third-party types

Aliases (``io.kestra.core.tasks.log.Log``, ``io.kestra.plugin.fs.http.Request``, ...) resolve
through :func:`compiler.catalog.lookup`. Flowables (Sequential, Parallel, If, ...) and Subflow are
not here: the engine runs them.

Every implementation is wrapped so that whatever goes wrong inside becomes a
:class:`~runtime.errors.TaskError` with a one-line message (an expression error, a storage
error, an I/O error; an unexpected exception says so, logs its traceback at ERROR and keeps it
as ``__cause__``).

Third-party task types
----------------------
A distribution registers task types under the entry point group ``flowc.tasks``. Each entry
point names either a callable ``run(props, ctx)`` carrying its catalog declaration as a
``declaration`` attribute (a :class:`compiler.catalog.TaskType`), or a ``(declaration, run)``
tuple. They are loaded once, on first use; a broken entry point is skipped with a warning.
"""

from __future__ import annotations

import functools
import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from runtime.errors import FlowcRuntimeError, StorageError, TaskError
from runtime.tasks.base import TaskImpl

__all__ = [
    "ENTRY_POINT_GROUP",
    "TASKS",
    "declarations",
    "implementation",
    "implemented_types",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "flowc.tasks"


def _guard(type_name: str, impl: Callable[..., Any]) -> TaskImpl:
    """``impl`` raising only TaskError (its message one line, a TaskError's outputs kept)."""

    @functools.wraps(impl)
    def run(props: dict[str, Any], ctx: Any) -> Any:
        try:
            return impl(props, ctx)
        except TaskError:
            raise
        except StorageError as exc:
            raise _task_error(f"internal storage: {exc}", exc) from exc
        except FlowcRuntimeError as exc:  # expression errors and the like
            raise _task_error(str(exc), exc) from exc
        except OSError as exc:
            what = exc.strerror or str(exc)
            where = f" ({exc.filename})" if exc.filename else ""
            raise _task_error(f"I/O error: {what}{where}", exc) from exc
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug: keep the traceback in the task's log
            short = type(impl).__name__ if not hasattr(impl, "__name__") else impl.__name__
            if hasattr(ctx, "log"):
                ctx.log("ERROR", f"internal error in {type_name}:\n{traceback.format_exc()}")
            raise _task_error(
                f"unexpected {type(exc).__name__} in {type_name} ({short}): {exc}", exc
            ) from exc

    run.__wrapped_impl__ = impl  # type: ignore[attr-defined]
    return run


def _task_error(message: str, cause: BaseException) -> TaskError:
    err = TaskError(message)
    outputs = getattr(cause, "outputs", None)
    if isinstance(outputs, Mapping):
        err.outputs = dict(outputs)  # type: ignore[attr-defined]
    return err


def _builtin() -> dict[str, TaskImpl]:
    from runtime.tasks import core, duckdb, http, kv, scripts, storage_tasks

    table: dict[str, TaskImpl] = {}
    for module in (core, http, scripts, duckdb, storage_tasks, kv):
        for type_name, impl in module.TASKS.items():
            table[type_name] = _guard(type_name, impl)
    return table


TASKS: dict[str, TaskImpl] = _builtin()

_third_party: dict[str, tuple[Any, TaskImpl]] | None = None
_lock = threading.Lock()


def _load_entry_points() -> dict[str, tuple[Any, TaskImpl]]:
    """name (canonical and aliases) -> (declaration, guarded implementation)."""
    global _third_party
    with _lock:
        if _third_party is not None:
            return _third_party
        from importlib.metadata import entry_points

        from compiler.catalog import TaskType

        found: dict[str, tuple[Any, TaskImpl]] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
                if isinstance(obj, tuple) and len(obj) == 2:
                    declaration, impl = obj
                else:
                    declaration, impl = getattr(obj, "declaration", None), obj
                if not isinstance(declaration, TaskType):
                    raise TypeError("no compiler.catalog.TaskType declaration")
                if not callable(impl):
                    raise TypeError("the implementation is not callable")
            except Exception as exc:
                log.warning("flowc.tasks entry point %r skipped: %s", ep.name, exc)
                continue
            if declaration.type in TASKS:
                log.warning(
                    "flowc.tasks entry point %r skipped: %s is a built-in type",
                    ep.name,
                    declaration.type,
                )
                continue
            entry = (declaration, _guard(declaration.type, impl))
            for name in (declaration.type, *declaration.aliases):
                found.setdefault(name, entry)
        _third_party = found
        return found


def implementation(type_name: str) -> TaskImpl | None:
    """The implementation for ``type_name`` (canonical, alias or third-party), or None."""
    impl = TASKS.get(type_name)
    if impl is not None:
        return impl
    from compiler.catalog import lookup

    declared = lookup(type_name)
    if declared is not None and declared.type in TASKS:
        return TASKS[declared.type]
    entry = _load_entry_points().get(type_name)
    return entry[1] if entry else None


def implemented_types() -> frozenset[str]:
    """Canonical names of every type flowc can run (built-in and third-party)."""
    third = {decl.type for decl, _ in _load_entry_points().values()}
    return frozenset(TASKS) | frozenset(third)


def declarations() -> dict[str, Any]:
    """Catalog declarations (``compiler.catalog.TaskType``) of third-party types, by canonical
    name, so that the compiler can check flows using them."""
    return {decl.type: decl for decl, _ in _load_entry_points().values()}
