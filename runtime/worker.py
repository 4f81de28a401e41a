"""One task attempt, as an executor runs it: a rendered-ready definition in, an outcome out.

:class:`Invocation` and :class:`Outcome` pickle, so :func:`execute` runs unchanged in the local
thread pool and on a Dask worker. The worker never touches the state store: logs, metrics and
outputs travel back in the outcome and the driver stores them.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import ExpressionError, FlowcRuntimeError, TaskError
from runtime.executors.base import worker_name
from runtime.tasks.base import LogLine, Metric, TaskContext, TaskResult


@dataclass
class Invocation:
    task_id: str
    taskrun_id: str
    execution_id: str
    namespace: str
    flow_id: str
    type: str
    props: dict[str, Any]
    variables: dict[str, Any]
    storage: Any
    kv: Any = None
    services: Any = None
    runner: str = "auto"
    timeout: float | None = None
    attempt: int = 1
    workdir: str | None = None
    #: set by the local executor so that the engine can cancel a running task
    cancel: Any = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["cancel"] = None  # an Event does not cross processes; the timeout does
        return state


@dataclass
class Outcome:
    state: str  # SUCCESS | WARNING | FAILED
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    logs: list[LogLine] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    worker: str = ""
    start: float = 0.0
    end: float = 0.0
    timed_out: bool = False
    kv_ops: list[tuple] = field(default_factory=list)
    #: workers that died while running this attempt (Dask ran it again elsewhere)
    lost: list[str] = field(default_factory=list)


def _describe_timeout(seconds: float) -> str:
    return f"PT{seconds:g}S"


def execute(inv: Invocation) -> Outcome:
    """Run one attempt. Never raises: every failure is a FAILED outcome with a message."""
    from runtime.tasks import implementation

    start = time.time()
    cancel = inv.cancel if inv.cancel is not None else threading.Event()
    timer = None
    timed_out = threading.Event()
    if inv.timeout is not None:

        def expire() -> None:
            timed_out.set()
            cancel.set()

        timer = threading.Timer(inv.timeout, expire)
        timer.daemon = True
        timer.start()
    ctx = TaskContext(
        namespace=inv.namespace,
        flow_id=inv.flow_id,
        execution_id=inv.execution_id,
        task_id=inv.task_id,
        taskrun_id=inv.taskrun_id,
        task_type=inv.type,
        variables=inv.variables,
        storage=inv.storage,
        kv=inv.kv,
        services=inv.services,
        runner=inv.runner,
        timeout=inv.timeout,
        attempt=inv.attempt,
        cancel=cancel,
        workdir=Path(inv.workdir) if inv.workdir else None,
    )
    outcome = Outcome(state="SUCCESS", worker=worker_name(), start=start)
    try:
        impl = implementation(inv.type)
        if impl is None:
            raise TaskError(
                f"task type '{inv.type}' has no implementation in flowc's runtime: "
                "it can be compiled and drawn but not run here"
            )
        result = impl(dict(inv.props), ctx)
        if isinstance(result, TaskResult):
            outcome.outputs, outcome.state = dict(result.outputs), result.state
        else:
            outcome.outputs = dict(result or {})
        if timed_out.is_set():
            raise TaskError(
                f"the task exceeded its timeout of {_describe_timeout(inv.timeout or 0)}"
            )
    except (TaskError, ExpressionError, FlowcRuntimeError) as exc:
        outcome.state = "FAILED"
        outcome.outputs = dict(getattr(exc, "outputs", None) or outcome.outputs or {})
        if timed_out.is_set() and "timeout" not in str(exc):
            outcome.error = f"the task exceeded its timeout of {_describe_timeout(inv.timeout or 0)} and was killed"
        else:
            outcome.error = str(exc)
    except Exception as exc:  # an implementation bug or an unexpected library error
        outcome.state = "FAILED"
        outcome.error = f"{type(exc).__name__}: {exc}"
        if not _expected(exc):
            ctx.log(
                "ERROR", "internal error in the task implementation:\n" + traceback.format_exc()
            )
    finally:
        if timer is not None:
            timer.cancel()
        ctx.close()
    outcome.timed_out = timed_out.is_set()
    if outcome.state == "FAILED" and outcome.error:
        ctx.log("ERROR", outcome.error)
    outcome.logs = ctx.logs
    outcome.metrics = ctx.metrics
    outcome.labels = ctx.labels
    services = inv.services
    outcome.secrets = set(ctx.secrets) | set(getattr(services, "revealed", set()))
    outcome.kv_ops = list(getattr(inv.kv, "ops", []) or [])
    outcome.end = time.time()
    return outcome


def _expected(exc: Exception) -> bool:
    """Errors whose message is enough (no traceback in the task log)."""
    return isinstance(exc, (OSError, ValueError, KeyError))
