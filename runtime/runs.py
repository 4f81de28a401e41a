"""The runtime's public operations: run a flow, resume or replay an execution, evaluate an
expression against a finished one. The CLI is a thin layer over these; tests call them too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.pipeline import Compilation, compile_flow, compile_source
from runtime.engine import Engine, Run, RunOptions
from runtime.errors import FlowcRuntimeError
from runtime.executors import Executor, ThreadExecutor
from runtime.state import StateStore, new_id
from runtime.storage import Storage, default_home

TERMINAL = ("SUCCESS", "WARNING", "FAILED", "KILLED", "SKIPPED", "CANCELLED", "RETRIED")


class CompileFailed(FlowcRuntimeError):
    """The flow has errors: nothing was run."""

    def __init__(self, message: str, compilation: Compilation | None = None) -> None:
        super().__init__(message)
        self.compilation = compilation


@dataclass
class Home:
    """Where a user's runs live: ``<home>/state.db`` and ``<home>/storage``."""

    path: Path
    state: StateStore
    storage: Storage

    def close(self) -> None:
        self.state.close()


def open_home(
    home: str | Path | None = None,
    *,
    storage_url: str | None = None,
    namespace_files: str | None = None,
) -> Home:
    path = Path(home) if home else default_home()
    path.mkdir(parents=True, exist_ok=True)
    state = StateStore(path / "state.db")
    storage = Storage(storage_url or str(path / "storage"), namespace_files_dir=namespace_files)
    return Home(path, state, storage)


@dataclass
class RunReport:
    execution_id: str
    state: str
    namespace: str
    flow_id: str
    tasks: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "execution": self.execution_id,
            "state": self.state,
            "namespace": self.namespace,
            "flow": self.flow_id,
            "tasks": self.tasks,
            "outputs": self.outputs,
        }


def report(home: Home, execution_id: str) -> RunReport:
    execution = home.state.get_execution(execution_id)
    taskruns = home.state.taskruns(execution_id)
    paths = _value_paths(taskruns)
    latest = {(tr["task_id"], paths[tr["id"]]): tr for tr in taskruns}  # a resumed run's newest
    tasks = []
    for tr in latest.values():
        tasks.append(
            {
                "id": tr["task_id"],
                "taskrun": tr["id"],
                "value": tr.get("value"),
                "state": tr["state"],
                "attempts": tr.get("attempts") or 0,
                "start": tr.get("start"),
                "end": tr.get("end"),
                "worker": tr.get("worker"),
                "error": tr.get("error"),
            }
        )
    return RunReport(
        execution_id=execution_id,
        state=execution["state"],
        namespace=execution["namespace"],
        flow_id=execution["flow_id"],
        tasks=tasks,
        outputs=execution.get("outputs") or {},
    )


def load_compilation(flow: str | Path | Compilation, order: str) -> Compilation:
    compilation = flow if isinstance(flow, Compilation) else compile_flow(flow, order)
    if compilation.errors or compilation.flow is None or compilation.plan is None:
        first = compilation.errors[0] if compilation.errors else None
        where = (
            f"{first.file}:{first.span.line}:{first.span.column}: {first.message} [{first.code}]"
            if first
            else "the flow could not be read"
        )
        count = len(compilation.errors)
        raise CompileFailed(
            f"the flow has {count} error{'s' * (count != 1)}; nothing was run. First: {where}",
            compilation,
        )
    return compilation


class _Runtime:
    """An engine wired to a home: flows directory, executor, child executions."""

    def __init__(
        self, home: Home, options: RunOptions, executor: Executor | None, listener=None
    ) -> None:
        from runtime.flows import FlowRepository

        self.home = home
        self.options = options
        self.engine = Engine(
            home.state, home.storage, executor or ThreadExecutor(options.max_workers), options
        )
        self.engine.flows = FlowRepository(options.flows_dir) if options.flows_dir else None
        self.engine.run_child = self.run_child
        self.engine.start_child = self.start_child
        self.engine.listener = listener

    def close(self) -> None:
        self.engine.shutdown()

    def create(
        self,
        compilation: Compilation,
        provided: Mapping[str, Any],
        *,
        parent: Run | None = None,
        labels=None,
        original_id=None,
    ) -> tuple[str, dict]:
        from runtime.inputs import resolve_inputs

        flow = compilation.flow
        execution_id = new_id()
        declared = flow.root.value("inputs") or []
        inputs = resolve_inputs(
            declared if isinstance(declared, list) else [],
            provided,
            context={
                "flow": {"id": flow.id, "namespace": flow.namespace},
                "execution": {"id": execution_id},
            },
            storage=self.home.storage,
            namespace=flow.namespace,
            flow_id=flow.id,
            execution_id=execution_id,
        )
        flow_labels = _labels(flow.root.value("labels"))
        flow_labels.update(labels or {})
        flow_labels.update(self.options.labels)
        self.home.state.create_execution(
            flow.namespace,
            flow.id,
            flow_source=compilation.source.text,
            flow_file=compilation.source.path,
            inputs=inputs,
            labels=flow_labels,
            parent_id=parent.execution_id if parent else None,
            original_id=original_id,
            order_mode=compilation.order,
            options={
                "keep_going": self.options.keep_going,
                "runner": self.options.runner,
                "max_workers": self.options.max_workers,
                "flows_dir": self.options.flows_dir,
            },
            execution_id=execution_id,
        )
        return execution_id, inputs

    def execute(
        self,
        compilation: Compilation,
        execution_id: str,
        inputs: dict,
        *,
        parent: Run | None = None,
        reuse=None,
        labels=None,
        original_id=None,
    ) -> str:
        run = Run(
            self.engine,
            compilation,
            execution_id,
            inputs,
            reuse=reuse,
            parent_ids=(parent.execution_id,) + parent.parent_ids if parent else (),
            # the execution's labels as stored (the flow's, the caller's, --label)
            labels=self.home.state.get_execution(execution_id).get("labels") or labels,
            original_id=original_id,
        )
        return run.execute()

    def run_child(
        self, compilation: Compilation, inputs: Mapping[str, Any], *, parent: Run, labels=None
    ) -> tuple[str, str, dict]:
        execution_id, resolved = self.create(compilation, inputs, parent=parent, labels=labels)
        state = self.execute(compilation, execution_id, resolved, parent=parent, labels=labels)
        outputs = self.home.state.get_execution(execution_id).get("outputs") or {}
        return execution_id, state, outputs

    def start_child(
        self,
        compilation: Compilation,
        inputs: Mapping[str, Any],
        *,
        parent: Run,
        labels=None,
        background=True,
    ) -> str:
        execution_id, resolved = self.create(compilation, inputs, parent=parent, labels=labels)
        parent.background.append(
            self.engine.control.submit(
                self.execute, compilation, execution_id, resolved, parent=parent, labels=labels
            )
        )
        return execution_id


def _labels(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {
            str(item.get("key")): str(item.get("value")) for item in raw if isinstance(item, dict)
        }
    return {}


def run_flow(
    flow: str | Path | Compilation,
    *,
    inputs: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    home: Home | None = None,
    executor: Executor | None = None,
    listener=None,
    on_created=None,
) -> RunReport:
    """Compile (refusing flows with errors), resolve inputs, run, and report."""
    options = options or RunOptions()
    own_home = home is None
    home = home or open_home()
    compilation = load_compilation(flow, options.order)
    runtime = _Runtime(home, options, executor, listener)
    try:
        execution_id, resolved = runtime.create(compilation, inputs or {})
        if on_created is not None:
            on_created(execution_id)
        runtime.execute(compilation, execution_id, resolved)
        return report(home, execution_id)
    finally:
        runtime.close()
        if own_home:
            home.close()


def _value_paths(taskruns: list[dict]) -> dict[str, tuple[str, ...]]:
    by_id = {tr["id"]: tr for tr in taskruns}
    paths: dict[str, tuple[str, ...]] = {}

    def path(tr_id: str) -> tuple[str, ...]:
        if tr_id in paths:
            return paths[tr_id]
        tr = by_id[tr_id]
        parent = tr.get("parent_taskrun_id")
        base = path(parent) if parent and parent in by_id else ()
        value = tr.get("value")
        result = (
            base + ((value if isinstance(value, str) else json.dumps(value)),)
            if value is not None
            else base
        )
        paths[tr_id] = result
        return result

    for tr in taskruns:
        path(tr["id"])
    return paths


def reusable(
    home: Home, execution_id: str, exclude: set[str] = frozenset()
) -> dict[tuple[str, tuple[str, ...]], dict]:
    """Latest task run of each (task, loop values) with its state and outputs."""
    taskruns = home.state.taskruns(execution_id)
    paths = _value_paths(taskruns)
    latest: dict[tuple[str, tuple[str, ...]], dict] = {}
    for tr in taskruns:
        if tr["task_id"] in exclude:
            continue
        latest[(tr["task_id"], paths[tr["id"]])] = {
            "state": tr["state"],
            "outputs": tr.get("outputs") or {},
        }
    return latest


def resume(
    execution_id: str,
    *,
    home: Home,
    options: RunOptions | None = None,
    executor: Executor | None = None,
    listener=None,
) -> RunReport:
    """Run again what failed, was killed or never started; reuse what succeeded."""
    execution = home.state.find_execution(execution_id)
    execution_id = execution["id"]
    if execution["state"] == "SUCCESS":
        raise FlowcRuntimeError(
            f"execution {execution_id} already succeeded: nothing to resume (use 'flowc run --from TASK --execution {execution_id}' to replay)"
        )
    stored = execution.get("options") or {}
    options = options or RunOptions(
        order=execution.get("order_mode") or "data",
        keep_going=bool(stored.get("keep_going")),
        runner=stored.get("runner") or "auto",
        max_workers=int(stored.get("max_workers") or 8),
        flows_dir=stored.get("flows_dir"),
    )
    compilation = load_compilation(
        compile_source(
            execution["flow_source"], execution.get("flow_file") or "<stored>", options.order
        ),
        options.order,
    )
    for tr in home.state.taskruns(execution_id):
        if tr["state"] not in TERMINAL and tr["state"] != "PAUSED":
            home.state.set_taskrun_state(
                tr["id"], "KILLED", error="the run stopped before this task finished"
            )
    reuse = reusable(home, execution_id)
    runtime = _Runtime(home, options, executor, listener)
    try:
        runtime.execute(
            compilation,
            execution_id,
            execution.get("inputs") or {},
            reuse=reuse,
            labels=execution.get("labels"),
            original_id=execution.get("original_id"),
        )
        return report(home, execution_id)
    finally:
        runtime.close()


def replay(
    flow: str | Path | None,
    execution_id: str,
    from_task: str,
    *,
    home: Home,
    options: RunOptions | None = None,
    executor: Executor | None = None,
    listener=None,
) -> RunReport:
    """A new execution that reuses the given one's results, except ``from_task`` and all that
    depends on it, which run again."""
    import networkx as nx

    previous = home.state.find_execution(execution_id)
    options = options or RunOptions(order=previous.get("order_mode") or "data")
    source = (
        compile_flow(flow, options.order)
        if flow
        else compile_source(
            previous["flow_source"], previous.get("flow_file") or "<stored>", options.order
        )
    )
    compilation = load_compilation(source, options.order)
    graph = compilation.graph
    if from_task not in graph.tasks:
        raise FlowcRuntimeError(
            f"task '{from_task}' is not in flow {compilation.flow.namespace}.{compilation.flow.id}"
        )
    again = {from_task} | nx.descendants(graph.graph, from_task)
    for task_id in list(again):
        stack = list(graph.tasks[task_id].children)
        while stack:
            node = stack.pop()
            again.add(node.id)
            stack.extend(node.children)
    reuse = reusable(home, previous["id"], exclude=again)
    runtime = _Runtime(home, options, executor, listener)
    try:
        new_id_, resolved = runtime.create(
            compilation, previous.get("inputs") or {}, original_id=previous["id"]
        )
        runtime.execute(compilation, new_id_, resolved, reuse=reuse, original_id=previous["id"])
        return report(home, new_id_)
    finally:
        runtime.close()


def evaluate(execution_id: str, expression: str, *, home: Home) -> str:
    """Render an expression against a finished execution (Kestra's Outputs-tab evaluator)."""
    from runtime.kvstore import StoreKV
    from runtime.services import RunServices
    from runtime.templates import render

    execution = home.state.find_execution(execution_id)
    compilation = compile_source(execution["flow_source"], execution.get("flow_file") or "<stored>")
    flow = compilation.flow
    variables = (
        flow.variables.to_python() if flow is not None and flow.variables is not None else {}
    )
    context = {
        "flow": {"id": execution["flow_id"], "namespace": execution["namespace"], "revision": 1},
        "execution": {
            "id": execution["id"],
            "startDate": execution.get("start"),
            "originalId": execution.get("original_id") or execution["id"],
            "state": execution["state"],
            "outputs": execution.get("outputs") or {},
        },
        "inputs": execution.get("inputs") or {},
        "outputs": home.state.outputs(execution["id"]),
        "vars": variables,
        "labels": execution.get("labels") or {},
        "tasks": {
            tr["task_id"]: {"state": tr["state"]} for tr in home.state.taskruns(execution["id"])
        },
    }
    services = RunServices(
        storage=home.storage,
        kv=StoreKV(home.state),
        namespace=execution["namespace"],
        flow_id=execution["flow_id"],
        execution_id=execution["id"],
    )
    return render(expression, context, services=services)
