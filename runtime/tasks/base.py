"""What a runnable task implementation sees, and how it reports back.

A task implementation is a callable ``run(props, ctx) -> dict`` registered for a task type
(see :mod:`runtime.tasks`). ``props`` are the task's raw (unrendered) properties with plugin
defaults applied; the implementation renders what Kestra renders (``ctx.render``...). It
returns its outputs, raises :class:`~runtime.errors.TaskError` to fail (``outputs`` on the
error are kept, as Kestra keeps a failed script's ``vars``/``outputFiles``), or returns a
:class:`TaskResult` to end in WARNING.

Everything here is picklable or rebuilt on the worker: the same implementation runs in the
local thread pool and on a Dask worker.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from runtime.errors import TaskError

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


@dataclass
class TaskResult:
    outputs: dict[str, Any] = field(default_factory=dict)
    state: str = "SUCCESS"  # SUCCESS or WARNING


@dataclass
class LogLine:
    level: str
    message: str
    at: float = field(default_factory=time.time)


@dataclass
class Metric:
    name: str
    type: str  # counter | timer
    value: float
    tags: dict[str, str] = field(default_factory=dict)


class KV(Protocol):
    """The namespace key-value store (state store on the driver, a snapshot on a worker)."""

    def get(self, namespace: str, key: str) -> tuple[bool, Any]: ...
    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        overwrite: bool = True,
    ) -> None: ...
    def delete(self, namespace: str, key: str) -> bool: ...
    def keys(self, namespace: str, prefix: str | None = None) -> list[str]: ...


class TaskContext:
    """One attempt of one task run.

    - ``render(value)`` / ``render_typed(value)`` render templates (strings, or every string in
      lists/maps) against this task run's variables; ``extra`` adds variables such as
      ``workingDir``.
    - ``log(level, message)`` and ``metric(...)`` are collected and stored by the driver.
    - ``working_dir()`` creates the task's temporary working directory on first use; it is
      removed when the attempt ends.
    - ``put_file(path, name)`` stores a file under this task run's storage prefix and returns
      its ``kestra://`` URI; ``get_file(uri, dest)`` copies one to a local path.
    - ``cancel`` is set on timeout or kill: long-running tasks must watch it;
      ``remaining()`` is the time left before the timeout (None: no timeout).
    """

    def __init__(
        self,
        *,
        namespace: str,
        flow_id: str,
        execution_id: str,
        task_id: str,
        taskrun_id: str,
        task_type: str,
        variables: Mapping[str, Any],
        storage: Any,
        kv: KV | None = None,
        services: Any = None,
        runner: str = "auto",
        timeout: float | None = None,
        attempt: int = 1,
        cancel: threading.Event | None = None,
        flows: Any = None,
        workdir: Path | None = None,
    ) -> None:
        self.namespace = namespace
        self.flow_id = flow_id
        self.execution_id = execution_id
        self.task_id = task_id
        self.taskrun_id = taskrun_id
        self.task_type = task_type
        self.variables = variables
        self.storage = storage
        self.kv = kv
        self.services = services
        self.runner = runner
        self.timeout = timeout
        self.attempt = attempt
        self.cancel = cancel or threading.Event()
        self.flows = flows
        self.started = time.monotonic()
        self.logs: list[LogLine] = []
        self.metrics: list[Metric] = []
        self.labels: dict[str, str] = {}
        self.secrets: set[str] = set()
        self._workdir = workdir
        self._own_workdir = False
        self._lock = threading.Lock()

    # -- rendering ---------------------------------------------------------------------------

    def _variables(self, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if not extra:
            return self.variables
        merged = dict(self.variables)
        merged.update(extra)
        return merged

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render a string (or every string inside lists and maps) to strings."""
        from runtime.templates import render_value

        return render_value(value, self._variables(extra), services=self.services)

    def render_typed(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Like render, but a lone ``{{ expr }}`` keeps its native type (list, map, number)."""
        from runtime.templates import render_value

        return render_value(value, self._variables(extra), services=self.services, typed=True)

    # -- reporting ---------------------------------------------------------------------------

    def log(self, level: str, message: str) -> None:
        level = level.upper()
        level = "WARN" if level == "WARNING" else level
        if level not in LEVELS:
            level = "INFO"
        with self._lock:
            self.logs.append(LogLine(level, message))

    def metric(
        self, name: str, type: str, value: float, tags: Mapping[str, str] | None = None
    ) -> None:
        with self._lock:
            self.metrics.append(Metric(name, type, value, dict(tags or {})))

    # -- files -------------------------------------------------------------------------------

    def working_dir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"flowc-{self.task_id}-"))
            self._own_workdir = True
        return self._workdir

    def put_file(self, path: str | Path, name: str | None = None) -> str:
        uri = self.storage.task_uri(
            self.namespace,
            self.flow_id,
            self.execution_id,
            self.task_id,
            self.taskrun_id,
            name or Path(path).name,
        )
        return self.storage.put_file(uri, str(path))

    def get_file(self, uri: str, dest: str | Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.storage.get_file(
            self.storage.resolve(uri, self.namespace) if uri.startswith("nsfile://") else uri,
            str(dest),
        )
        return dest

    def remaining(self) -> float | None:
        if self.timeout is None:
            return None
        return max(0.0, self.timeout - (time.monotonic() - self.started))

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise TaskError("the task was cancelled (timeout or kill)")

    def close(self) -> None:
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


TaskImpl = Callable[[dict[str, Any], TaskContext], "dict[str, Any] | TaskResult"]
