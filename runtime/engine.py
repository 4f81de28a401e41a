"""The engine: ready-set scheduling of a compiled plan, with Kestra's execution semantics.

Every list of sibling tasks (the flow's ``tasks``, a flowable's children, ``errors``,
``finally``) is run by :meth:`Run.run_list`: a task starts the moment the siblings it depends
on are done (data edges from the compiler, and order edges for lists that run in order),
up to the list's concurrency. A FAILED task stops new starts in its list (running ones
finish); then the list's ``errors`` run, then ``finally``. With ``keep_going`` the tasks that
need the failed one are SKIPPED and independent ones go on.

Flowables run on control threads in this process; runnable task bodies go to the executor
(threads, or Dask). Every state change is committed to the state store before the next
task starts. There is no task-specific code here: task bodies live in :mod:`runtime.tasks`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from compiler.model import Flow, Task
from compiler.pipeline import Compilation
from runtime import durations
from runtime.errors import ExpressionError, FlowcRuntimeError
from runtime.executors.base import Executor
from runtime.kvstore import StoreKV
from runtime.services import RunServices
from runtime.storage import Storage
from runtime.templates import render, render_value
from runtime.values import is_truthy_string, to_json
from runtime.worker import Invocation, Outcome, execute

_STATE_READERS = re.compile(r"tasksWithState|printContext|fetchContext|\btasks\s*[.\[]")
FAILED_STATES = ("FAILED", "KILLED")
DONE_OK = ("SUCCESS", "WARNING", "SKIPPED")
STATE_RANK = {"KILLED": 5, "FAILED": 4, "PAUSED": 3, "WARNING": 2, "SUCCESS": 1, "SKIPPED": 0}
GRACE_SECONDS = 10.0


@dataclass
class RunOptions:
    order: str = "data"
    max_workers: int = 8
    keep_going: bool = False
    runner: str = "auto"
    flows_dir: str | None = None
    namespace_files: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Scope:
    """Where a list of tasks runs: its loop values, parents, working directory and retry."""

    parent_taskrun: str | None = None
    values: tuple[str, ...] = ()
    value: str | None = None  # set for the direct children of one loop iteration
    iteration: int | None = None  # the index of that value (taskrun.iteration)
    parents: tuple[dict, ...] = ()
    workdir: str | None = None
    retry: dict | None = None

    def child(self, **changes: Any) -> Scope:
        data = {**self.__dict__, "value": None}
        data.update(changes)
        return Scope(**data)


class PauseRequested(Exception):
    """A Pause task without a duration: the execution stops as PAUSED until `flowc resume`."""


class Run:
    """One execution of a compiled flow."""

    def __init__(
        self,
        engine: Engine,
        compilation: Compilation,
        execution_id: str,
        inputs: dict[str, Any],
        *,
        reuse: dict[tuple[str, tuple[str, ...]], dict] | None = None,
        parent_ids: tuple[str, ...] = (),
        start_date: str | None = None,
        original_id: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        assert (
            compilation.flow is not None
            and compilation.graph is not None
            and compilation.plan is not None
        )
        self.engine = engine
        self.state = engine.state
        self.storage = engine.storage
        self.compilation = compilation
        self.flow: Flow = compilation.flow
        self.graph = compilation.graph
        self.plan = compilation.plan
        self.execution_id = execution_id
        self.inputs = inputs
        self.reuse = reuse or {}
        self.parent_ids = parent_ids
        self.start_date = start_date or _now_iso()
        self.original_id = original_id or execution_id
        self.labels = dict(labels or {})
        # Kestra 1.x: every execution carries the id of the run that started the chain
        self.labels.setdefault(
            "system.correlationId", (parent_ids[-1] if parent_ids else execution_id)
        )
        self.options = engine.options
        self.variables = self.flow.variables.to_python() if self.flow.variables is not None else {}
        self.outputs: dict[str, Any] = {}
        self.task_states: dict[tuple[str, tuple[str, ...]], str] = {}
        self.error_logs: list[dict] = []
        self.secrets: set[str] = set(engine.secrets)
        self.lock = threading.RLock()
        # A Pause stops every list of the run. A failure only stops its own list; its
        # flowable then fails in turn (unless allowFailure), which stops the list above.
        self.stop = threading.Event()
        self.kv = StoreKV(engine.state)
        self._lift_cache: dict[tuple[str, ...], dict[str, set[str]]] = {}
        self.flow_retry = (
            self.flow.root.value("retry")
            if isinstance(self.flow.root.value("retry"), dict)
            else None
        )
        self.background: list[Future] = []
        self.envs = _envs()
        # Task states are exposed (``tasks.X.state``, tasksWithState()) only to flows that read
        # them: building them for every task of a large flow would cost O(n) each time.
        text = compilation.source.text
        self.exposes_states = bool(_STATE_READERS.search(text))

    # -- top level -------------------------------------------------------------------------

    def execute(self) -> str:
        self.state.set_execution_state(self.execution_id, "RUNNING")
        scope = Scope(retry=self.flow_retry)
        try:
            state = self.run_section(
                self.flow.tasks, self.flow.errors, self.flow.finally_, scope, None
            )
        except PauseRequested:
            state = "PAUSED"
        if state not in ("FAILED", "KILLED", "PAUSED"):
            state = self.finish_outputs(state)
        if self.flow.after_execution and state != "PAUSED":
            self.stop.clear()
            self.run_list(self.flow.after_execution, scope, None)
        for future in self.background:
            with contextlib.suppress(Exception):
                future.result()
        self.state.set_execution_state(self.execution_id, state)
        return state

    def finish_outputs(self, state: str) -> str:
        declared = self.flow.root.value("outputs")
        if not isinstance(declared, list) or not declared:
            return state
        from runtime.inputs import render_flow_outputs

        context = self.base_variables()
        try:
            outputs, warnings = render_flow_outputs(declared, context, services=self.services(None))
        except FlowcRuntimeError as exc:
            self.state.add_log(
                self.execution_id, None, None, "ERROR", f"Failed to render output values: {exc}"
            )
            return "FAILED"
        for warning in warnings:
            self.state.add_log(self.execution_id, None, None, "WARN", warning)
        self.state.set_execution_outputs(self.execution_id, outputs)
        return state

    # -- lists and sections ------------------------------------------------------------------

    def run_section(
        self,
        tasks: list[Task],
        errors: list[Task],
        finally_: list[Task],
        scope: Scope,
        concurrency: int | None,
    ) -> str:
        """``tasks``, then ``errors`` if one failed, then ``finally``: Kestra's branch rule."""
        state = aggregate(self.run_list(tasks, scope, concurrency).values())
        if state == "PAUSED":
            raise PauseRequested
        if state in FAILED_STATES and errors:
            self.run_list(errors, scope, 1)
        if finally_:
            self.run_list(finally_, scope, 1)
        return state

    def sibling_deps(self, tasks: list[Task]) -> dict[str, set[str]]:
        """For each sibling, the siblings it waits for (edges between their subtrees lifted)."""
        key = tuple(t.id for t in tasks)
        cached = self._lift_cache.get(key)
        if cached is not None:
            return cached
        ids = {t.id for t in tasks}
        owner: dict[str, str] = {}
        for t in tasks:
            stack = [t]
            while stack:
                node = stack.pop()
                owner[node.id] = t.id
                stack.extend(node.children)
        deps: dict[str, set[str]] = {t.id: set() for t in tasks}
        for target, sources in self.plan.dependencies.items():
            tv = owner.get(target)
            if tv is None:
                continue
            for source in sources:
                su = owner.get(source)
                if su is not None and su != tv and su in ids:
                    deps[tv].add(su)
        self._lift_cache[key] = deps
        return deps

    def run_list(self, tasks: list[Task], scope: Scope, concurrency: int | None) -> dict[str, str]:
        """Start each task once the siblings it needs are done; O(1) work per completion."""
        if not tasks:
            return {}
        deps = self.sibling_deps(tasks)
        by_id = {t.id: t for t in tasks}
        waiting = {t.id: set(deps[t.id]) for t in tasks}
        dependents: dict[str, list[str]] = {t.id: [] for t in tasks}
        for task_id, needs in deps.items():
            for need in needs:
                dependents[need].append(task_id)
        ready = deque(t.id for t in tasks if not waiting[t.id])
        done: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        states: dict[str, str] = {}
        blocked: set[str] = set()  # skipped because something they need failed
        running = 0
        failed = False

        def release(task_id: str) -> None:
            for other in dependents[task_id]:
                waiting[other].discard(task_id)
                if not waiting[other]:
                    ready.append(other)

        while ready or running:
            stopping = (failed and not self.options.keep_going) or self.stop.is_set()
            while ready and not stopping and not (concurrency and running >= concurrency):
                task_id = ready.popleft()
                bad = [n for n in deps[task_id] if states.get(n) in FAILED_STATES or n in blocked]
                if bad:
                    states[task_id] = self.skip(
                        by_id[task_id],
                        scope,
                        f"skipped: it needs '{bad[0]}', which did not succeed",
                    )
                    blocked.add(task_id)
                    release(task_id)
                    continue
                future = self.start(by_id[task_id], scope)
                future.add_done_callback(lambda f, tid=task_id: done.put((tid, f)))
                running += 1
            if not running:
                break
            task_id, future = done.get()
            running -= 1
            try:
                state = future.result()
            except PauseRequested:
                state = "PAUSED"
                self.stop.set()
            except Exception as exc:  # a bug in flowc: the task fails, the run goes on
                import traceback

                state = "FAILED"
                self.state.add_log(
                    self.execution_id,
                    None,
                    task_id,
                    "ERROR",
                    f"internal error in flowc while running '{task_id}': {type(exc).__name__}: {exc}\n"
                    + "".join(traceback.format_exception(exc)),
                )
            states[task_id] = state
            if state in FAILED_STATES:
                failed = True
            release(task_id)
        return states

    def start(self, task: Task, scope: Scope) -> Future:
        """Run a task on a control thread. A runnable task first takes one of the engine's
        slots (twice ``--max-workers``), so a fan-out of thousands does not park thousands of
        threads in front of the executor."""
        if task.children or self.engine.is_flowable(task):
            return self.engine.control.submit(self.run_task, task, scope)
        self.engine.slots.acquire()

        def guarded() -> str:
            try:
                return self.run_task(task, scope)
            finally:
                self.engine.slots.release()

        return self.engine.control.submit(guarded)

    def skip(self, task: Task, scope: Scope, reason: str) -> str:
        taskrun = self.state.create_taskrun(
            self.execution_id,
            task.id,
            parent_taskrun_id=scope.parent_taskrun,
            value=scope.value,
            state="SKIPPED",
        )
        self.state.add_log(self.execution_id, taskrun, task.id, "WARN", reason)
        self.record_state(task, scope, "SKIPPED")
        return "SKIPPED"

    # -- one task ------------------------------------------------------------------------------

    def props(self, task: Task) -> dict[str, Any]:
        return self.flow.effective_props(task)

    def run_task(self, task: Task, scope: Scope) -> str:
        props = self.props(task)
        if props.get("disabled") is True:
            return "SKIPPED"  # Kestra removes disabled tasks: no task run
        previous = self.reuse.get((task.id, scope.values))
        if previous is not None and previous["state"] in DONE_OK and not task.children:
            return self.reuse_taskrun(task, scope, previous)
        taskrun = self.state.create_taskrun(
            self.execution_id, task.id, parent_taskrun_id=scope.parent_taskrun, value=scope.value
        )
        if self.engine.listener is not None:
            self.engine.listener.started(task.id, scope.values)
        variables = self.task_variables(task, scope, taskrun, 1)
        run_if = props.get("runIf")
        if run_if is not None:
            try:
                decision = render(str(run_if), variables, services=self.services(task))
            except ExpressionError as exc:
                return self.finish(task, scope, taskrun, "FAILED", error=f"runIf: {exc}")
            if not is_truthy_string(decision):
                self.state.add_log(
                    self.execution_id,
                    taskrun,
                    task.id,
                    "INFO",
                    f"skipped: runIf rendered '{decision}'",
                )
                return self.finish(task, scope, taskrun, "SKIPPED")
        if task.children or self.engine.is_flowable(task):
            self.state.set_taskrun_state(taskrun, "RUNNING")
            try:
                state, outputs, *error = self.engine.flowables.run(
                    self, task, props, scope, taskrun, variables
                )
            except PauseRequested:
                self.state.set_taskrun_state(taskrun, "PAUSED")
                raise
            except FlowcRuntimeError as exc:  # TaskError, ExpressionError, InputError (a Subflow's)
                return self.finish(task, scope, taskrun, "FAILED", error=str(exc))
            message = error[0] if error else None
            return self.finish(task, scope, taskrun, state, outputs=outputs, error=message)
        return self.run_runnable(task, props, scope, taskrun)

    def reuse_taskrun(self, task: Task, scope: Scope, previous: dict) -> str:
        outputs = previous.get("outputs") or {}
        state = previous["state"]
        taskrun = self.state.create_taskrun(
            self.execution_id,
            task.id,
            parent_taskrun_id=scope.parent_taskrun,
            value=scope.value,
            state=state,
            taskrun_id=None,
        )
        if outputs:
            self.state.set_taskrun_outputs(taskrun, outputs)
            self.record_outputs(task, scope, outputs)
        self.state.add_log(
            self.execution_id,
            taskrun,
            task.id,
            "INFO",
            f"reused: {state} in a previous attempt of this execution",
        )
        self.record_state(task, scope, state)
        return state

    def run_runnable(self, task: Task, props: dict[str, Any], scope: Scope, taskrun: str) -> str:
        policy = props.get("retry") if isinstance(props.get("retry"), dict) else scope.retry
        timeout = None
        if props.get("timeout") is not None:
            try:
                timeout = durations.seconds(
                    str(render(str(props["timeout"]), self.base_variables()))
                )
            except (ValueError, ExpressionError) as exc:
                return self.finish(task, scope, taskrun, "FAILED", error=f"invalid timeout: {exc}")
        first_start = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self.state.start_attempt(taskrun, worker=None)
            variables = self.task_variables(task, scope, taskrun, attempt)
            # one KV view per attempt: the live store here, one snapshot for a remote worker
            kv = self.kv if self.engine.executor.local else self.kv.snapshot(self.flow.namespace)
            services = self.services(task, kv)
            inv = Invocation(
                task_id=task.id,
                taskrun_id=taskrun,
                execution_id=self.execution_id,
                namespace=self.flow.namespace,
                flow_id=self.flow.id,
                type=task.type,
                props=props,
                variables=variables,
                storage=self.storage,
                kv=kv,
                services=services,
                runner=self.options.runner,
                timeout=timeout,
                attempt=attempt,
                workdir=scope.workdir,
                cancel=threading.Event(),
            )
            outcome = self.submit(inv, timeout)
            for lost in outcome.lost:  # each run on a worker that died counts as an attempt
                self.state.end_attempt(
                    taskrun, "FAILED", error=f"worker {lost} was lost while running the task"
                )
                self.state.start_attempt(taskrun, worker=None)
            self.store_outcome(task, taskrun, outcome)
            self.state.end_attempt(taskrun, outcome.state, error=outcome.error)
            if outcome.state == "FAILED" and self.retry_allowed(policy, attempt, first_start):
                self.state.set_taskrun_state(taskrun, "RETRYING")
                delay = retry_delay(policy, attempt)
                self.state.add_log(
                    self.execution_id,
                    taskrun,
                    task.id,
                    "WARN",
                    f"attempt {attempt} failed; retrying in {delay:g}s",
                )
                if self.stop.wait(delay) and not self.options.keep_going:
                    break
                continue
            break
        state = outcome.state
        if (
            state == "SUCCESS"
            and attempt > 1
            and isinstance(policy, dict)
            and policy.get("warningOnRetry") is True
        ):
            state = "WARNING"
        return self.finish(
            task,
            scope,
            taskrun,
            state,
            outputs=outcome.outputs,
            error=outcome.error,
            # execute() logs the error with the task's own lines; an abandoned task has none
            error_logged=any(line.message == outcome.error for line in outcome.logs),
        )

    def submit(self, inv: Invocation, timeout: float | None) -> Outcome:
        future = self.engine.executor.submit(execute, inv)
        limit = None if timeout is None else timeout + GRACE_SECONDS
        try:
            return future.result(timeout=limit)
        except TimeoutError:
            if inv.cancel is not None:
                inv.cancel.set()
            future.cancel()  # lets a remote executor release it
            return Outcome(
                state="FAILED",
                error=f"the task exceeded its timeout of PT{timeout:g}S and did not stop; it was abandoned",
            )
        except Exception as exc:  # the executor lost the task (a dead worker...)
            return Outcome(
                state="FAILED", error=f"the executor lost the task: {type(exc).__name__}: {exc}"
            )

    def retry_allowed(self, policy: Any, attempt: int, first_start: float) -> bool:
        if not isinstance(policy, dict) or (self.stop.is_set() and not self.options.keep_going):
            return False
        max_attempts = policy.get("maxAttempts", policy.get("maxAttempt"))
        if max_attempts is None and policy.get("maxDuration") is None:
            return False
        if max_attempts is not None and attempt >= int(max_attempts):
            return False
        if policy.get("maxDuration") is not None:
            with contextlib.suppress(ValueError):
                if time.monotonic() - first_start >= durations.seconds(str(policy["maxDuration"])):
                    return False
        return True

    def store_outcome(self, task: Task, taskrun: str, outcome: Outcome) -> None:
        if outcome.secrets:
            with self.lock:
                self.secrets.update(outcome.secrets)
                self.engine.secrets.update(outcome.secrets)
        self.state.add_logs(
            self.execution_id,
            taskrun,
            task.id,
            [(line.level, line.message, line.at) for line in outcome.logs],
        )
        errors = [
            {"taskId": task.id, "level": "ERROR", "message": line.message}
            for line in outcome.logs
            if line.level == "ERROR"
        ]
        if errors:
            with self.lock:
                self.error_logs.extend(errors)
        for metric in outcome.metrics:
            with contextlib.suppress(Exception):
                self.state.add_metric(
                    self.execution_id, taskrun, metric.name, metric.type, metric.value, metric.tags
                )
        if outcome.labels:
            with self.lock:
                self.labels.update(outcome.labels)
        for op in outcome.kv_ops:
            self.kv.apply(op)
        if outcome.start and outcome.end:
            self.state.set_attempt_times(
                taskrun, outcome.start, outcome.end, outcome.worker or None
            )

    def finish(
        self,
        task: Task,
        scope: Scope,
        taskrun: str,
        state: str,
        *,
        outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
        error_logged: bool = False,
    ) -> str:
        props = self.props(task)
        if state == "FAILED" and props.get("allowFailure") is True:
            state = "WARNING"
        if state == "WARNING" and props.get("allowWarning") is True:
            state = "SUCCESS"
        if outputs:
            clean = _plain(outputs)
            # what is stored never holds a secret; the run itself keeps the real values
            stored = json.loads(self.engine.mask(json.dumps(clean))) if self.secrets else clean
            self.state.set_taskrun_outputs(taskrun, stored)
            self.record_outputs(task, scope, clean)
        if error and state != "SUCCESS" and not error_logged:
            self.state.add_log(self.execution_id, taskrun, task.id, "ERROR", error)
        self.state.set_taskrun_state(
            taskrun, state, error=error if state in ("FAILED", "WARNING") else None
        )
        self.record_state(task, scope, state)
        if self.engine.listener is not None:
            self.engine.listener.finished(task.id, scope.values, state)
        return state

    # -- outputs and variables -----------------------------------------------------------

    def record_outputs(self, task: Task, scope: Scope, outputs: Mapping[str, Any]) -> None:
        with self.lock:
            if not scope.values:
                self.outputs = {**self.outputs, task.id: dict(outputs)}
                return
            # copy-on-write along the value path, so snapshots never change under a reader
            root = dict(self.outputs.get(task.id) or {})
            node = root
            for value in scope.values[:-1]:
                nxt = dict(node.get(value) or {})
                node[value] = nxt
                node = nxt
            node[scope.values[-1]] = dict(outputs)
            self.outputs = {**self.outputs, task.id: root}

    def record_state(self, task: Task, scope: Scope, state: str) -> None:
        with self.lock:
            self.task_states[(task.id, scope.values)] = state

    def tasks_variable(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for (task_id, values), state in list(self.task_states.items()):
            if not values:
                result[task_id] = {"state": state}
            else:
                node = result.setdefault(task_id, {})
                for value in values[:-1]:
                    node = node.setdefault(value, {})
                node[values[-1]] = {"state": state}
        return result

    def base_variables(self) -> dict[str, Any]:
        return {
            # Kestra 1.x names the open-source edition's single tenant "main"
            "flow": {
                "id": self.flow.id,
                "namespace": self.flow.namespace,
                "revision": 1,
                "tenantId": "main",
            },
            "execution": {
                "id": self.execution_id,
                "startDate": self.start_date,
                "originalId": self.original_id,
                "state": "RUNNING",
            },
            "inputs": self.inputs,
            "outputs": self.outputs,
            "vars": self.variables,
            "labels": nested_labels(self.labels),
            "envs": self.envs,
            "globals": {},
            **({"tasks": self.tasks_variable()} if self.exposes_states else {}),
        }

    def task_variables(
        self, task: Task, scope: Scope, taskrun: str, attempt: int
    ) -> dict[str, Any]:
        variables = self.base_variables()
        taskrun_var: dict[str, Any] = {
            "id": taskrun,
            "startDate": _now_iso(),
            "attemptsCount": attempt,
        }
        if scope.parent_taskrun:
            taskrun_var["parentId"] = scope.parent_taskrun
        if scope.values:
            taskrun_var["value"] = scope.values[-1]
        if scope.iteration is not None:
            taskrun_var["iteration"] = scope.iteration
        variables["task"] = {"id": task.id, "type": task.type}
        variables["taskrun"] = taskrun_var
        if scope.parents:
            variables["parents"] = list(scope.parents)
            variables["parent"] = scope.parents[0]
        return variables

    def services(self, task: Task | None, kv: Any = None) -> RunServices:
        if kv is None:
            kv = self.kv if self.engine.executor.local else self.kv.snapshot(self.flow.namespace)
        return RunServices(
            storage=self.storage,
            kv=kv,
            namespace=self.flow.namespace,
            flow_id=self.flow.id,
            execution_id=self.execution_id,
            parent_execution_ids=self.parent_ids,
            task_states=[
                {"taskId": t, "value": v[-1] if v else None, "state": s}
                for (t, v), s in list(self.task_states.items())
            ]
            if self.exposes_states
            else [],
            error_logs=list(self.error_logs),
        )

    def render_typed(
        self, value: Any, variables: Mapping[str, Any], task: Task | None = None
    ) -> Any:
        return render_value(value, variables, services=self.services(task), typed=True)

    def new_workdir(self) -> str:
        return tempfile.mkdtemp(prefix="flowc-wd-")

    def remove_workdir(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)


def nested_labels(labels: Mapping[str, str]) -> dict[str, Any]:
    """``labels.*`` as Kestra exposes them: ``system.correlationId`` is
    ``labels.system.correlationId``."""
    result: dict[str, Any] = {}
    for key, value in labels.items():
        node = result
        *parents, last = key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = value
    return result


def aggregate(states) -> str:
    best = "SUCCESS"
    for state in states:
        if STATE_RANK.get(state, 1) > STATE_RANK.get(best, 1):
            best = state
    return best


def retry_delay(policy: Mapping[str, Any], attempt: int) -> float:
    kind = str(policy.get("type", "constant")).lower()
    try:
        if kind == "exponential":
            interval = durations.seconds(str(policy.get("interval", "PT1S")))
            factor = float(policy.get("delayFactor", 2))
            cap = (
                durations.seconds(str(policy["maxInterval"])) if policy.get("maxInterval") else None
            )
            delay = interval * (factor ** (attempt - 1))
            return min(delay, cap) if cap else delay
        if kind == "random":
            low = durations.seconds(str(policy.get("minInterval", "PT0S")))
            high = durations.seconds(str(policy.get("maxInterval", "PT1S")))
            return random.uniform(low, max(low, high))
        return durations.seconds(str(policy.get("interval", "PT0S")))
    except ValueError:
        return 0.0


def _plain(value: Any) -> Any:
    """Outputs as JSON data (what Kestra stores): dates and other objects become strings."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(to_json(value))


def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _envs(prefix: str = "ENV_") -> dict[str, str]:
    return {k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}


class Engine:
    """Runs compiled flows against one state store, storage and executor."""

    def __init__(
        self, state: Any, storage: Storage, executor: Executor, options: RunOptions | None = None
    ) -> None:
        from runtime.flowables import Flowables

        self.state = state
        self.storage = storage
        self.executor = executor
        self.options = options or RunOptions()
        self.control = ThreadPoolExecutor(max_workers=1024, thread_name_prefix="flowc-control")
        self.slots = threading.Semaphore(2 * max(1, self.options.max_workers))
        self.flowables = Flowables()
        self.secrets: set[str] = set()
        self.flows: Any = None  # a FlowRepository, for Subflow
        self.listener: Any = (
            None  # progress display: started(task, values), finished(task, values, state)
        )
        self.run_child: Any = None  # set by runtime.runs: run a child execution (Subflow)
        self.start_child: Any = None
        state.set_mask(self.mask)

    def mask(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "******")
        return text

    def is_flowable(self, task: Task) -> bool:
        return self.flowables.handles(task.type)

    def shutdown(self) -> None:
        self.control.shutdown(wait=False, cancel_futures=True)
        self.executor.shutdown()
