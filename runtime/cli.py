"""The ``flowc`` command: parses arguments and calls library functions (the only click import).

Every command returns an :class:`~compiler.report.ExitCode`; bad input is a message with the
file, line and what to do, never a traceback. An unexpected exception is an internal error
(exit 3) with a short report.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click

from compiler.report import ExitCode

ORDER = click.Choice(["data", "kestra"])


class FlowcGroup(click.Group):
    """Turns unexpected exceptions into exit 3 with a one-screen report."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # `flowc logs ... | head`: the reader left, nothing is wrong
            sys.stderr.close()
            sys.exit(0)
        except Exception as exc:  # pragma: no cover - exercised through tests of exit 3
            click.echo(f"flowc: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(
                "This is a bug in flowc; please report it with the traceback below.", err=True
            )
            click.echo(traceback.format_exc(), err=True)
            sys.exit(ExitCode.INTERNAL)


class UsageError(click.UsageError):
    exit_code = ExitCode.USAGE


@click.group(cls=FlowcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="flowc")
def main() -> None:
    """flowc: compile, lint, draw and run Kestra flows."""


def _fail(message: str) -> None:
    raise UsageError(message)


def _read_flow(path: str, order: str):
    from compiler.lint import LintResult, lint_file

    file = Path(path)
    if not file.is_file():
        _fail(f"no such flow file: {path}")
    result = LintResult()
    lint_file(file, order, result)
    if result.internal_errors:
        name, tb = result.internal_errors[0]
        click.echo(f"flowc: internal error while compiling {name}:\n{tb}", err=True)
        sys.exit(ExitCode.INTERNAL)
    return result


@main.command("compile")
@click.argument("flow", type=click.Path())
@click.option(
    "--order",
    type=ORDER,
    default="data",
    show_default=True,
    help="data: parallel by data dependencies; kestra: top-level list order",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(),
    help="also draw the DAG to this file (format from its extension)",
)
@click.option("--strict", is_flag=True, help="warnings fail too")
def compile_command(flow: str, order: str, fmt: str, graph_file: str | None, strict: bool) -> None:
    """Compile FLOW: report every problem, then print the plan."""
    from compiler import report

    result = _read_flow(flow, order)
    compilation = result.compilations[0] if result.compilations else None
    if fmt == "json":
        if compilation is None:
            payload = {
                "flow": {"id": None, "namespace": None, "file": flow},
                "order": order,
                "tasks": [],
                "edges": [],
                "layers": [],
                "critical_path": [],
                "diagnostics": [d.to_dict() for d in result.diagnostics],
            }
        else:
            payload = report.compilation_dict(compilation)
        click.echo(json.dumps(payload, indent=2))
    else:
        if result.diagnostics:
            click.echo(
                report.format_text(result.diagnostics, result.sources, color=sys.stdout.isatty())
            )
        if compilation is not None and compilation.plan is not None:
            click.echo(report.format_plan_text(compilation))
    if graph_file and compilation is not None and compilation.graph is not None:
        _draw(compilation, graph_file, None)
    sys.exit(report.exit_code(result.diagnostics, strict))


def _draw(compilation, output: str | None, fmt: str | None, **options) -> None:
    from compiler import draw

    try:
        text = draw.draw(compilation, output=output, fmt=fmt, **options)
    except draw.DrawError as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    if text is not None:
        click.echo(text)


@main.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
)
@click.option("--order", type=ORDER, default="data", show_default=True)
@click.option("--strict", is_flag=True, help="warnings fail too")
def lint_command(paths: tuple[str, ...], fmt: str, order: str, strict: bool) -> None:
    """Lint flow files and directories (every *.yml/*.yaml that is a flow)."""
    from compiler import report
    from compiler.lint import MissingPath, lint

    try:
        result = lint(paths, order)
    except MissingPath as exc:
        _fail(f"no such file or directory: {exc}")
    if fmt == "json":
        click.echo(report.lint_json(result.diagnostics, len(result.files)))
    elif fmt == "sarif":
        click.echo(json.dumps(report.sarif(result.diagnostics), indent=2))
    elif fmt == "github":
        text = report.github(result.diagnostics)
        if text:
            click.echo(text)
    else:
        if result.diagnostics:
            click.echo(
                report.format_text(result.diagnostics, result.sources, color=sys.stdout.isatty())
            )
        click.echo(
            report.summary_line(result.diagnostics, len(result.files)),
            err=bool(result.diagnostics) and False,
        )
    for name, tb in result.internal_errors:
        click.echo(f"flowc: internal error while linting {name} (a bug in flowc):\n{tb}", err=True)
    if result.internal_errors:
        sys.exit(ExitCode.INTERNAL)
    sys.exit(report.exit_code(result.diagnostics, strict))


@main.command("graph")
@click.argument("flow", type=click.Path())
@click.option(
    "-o", "--output", type=click.Path(), help="file to write; the format follows its extension"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "pdf", "dot", "mermaid", "text"]),
    help="default: from -o's extension, else DOT on stdout",
)
@click.option("--order", type=ORDER, default="data", show_default=True)
@click.option(
    "--select",
    "selector",
    help="dbt-style selectors: +task, task+, +task+, 2+task, task+1, @task (space-separated: union)",
)
@click.option("--execution", help="colour tasks by their state in this run")
@click.option(
    "--rankdir", type=click.Choice(["LR", "TB", "RL", "BT"]), default="LR", show_default=True
)
@click.option(
    "--home", envvar="FLOWC_HOME", type=click.Path(), help="where runs are kept (for --execution)"
)
def graph_command(flow, output, fmt, order, selector, execution, rankdir, home):
    """Draw FLOW's DAG: edges labeled with the outputs they carry."""
    from compiler.select import SelectorError

    result = _read_flow(flow, order)
    compilation = result.compilations[0] if result.compilations else None
    if compilation is None or compilation.graph is None:
        from compiler import report

        click.echo(report.format_text(result.diagnostics, result.sources), err=True)
        sys.exit(ExitCode.PROBLEMS)
    states = _execution_states(home, execution) if execution else None
    try:
        _draw(compilation, output, fmt, select=selector, states=states, rankdir=rankdir)
    except SelectorError as exc:
        _fail(str(exc))
    if output:
        click.echo(f"wrote {output}", err=True)


def _execution_states(home: str | None, execution: str) -> dict[str, tuple[str, float | None]]:
    from runtime.runs import report

    h = _home(home)
    found = _execution(h, execution)
    from runtime.engine import aggregate

    states: dict[str, tuple[str, float | None]] = {}
    for task in report(h, found["id"]).tasks:  # a looped task: its worst state, total time
        text = _duration(task)
        seconds = float(text[:-1]) if text else None
        if task["id"] in states:
            state, total = states[task["id"]]
            seconds = (
                (total or 0) + (seconds or 0) if total is not None or seconds is not None else None
            )
            states[task["id"]] = (aggregate([state, task["state"]]), seconds)
        else:
            states[task["id"]] = (task["state"], seconds)
    h.close()
    return states


# --- runtime commands ---------------------------------------------------------------------

HOME = click.option(
    "--home",
    envvar="FLOWC_HOME",
    type=click.Path(),
    help="where runs are kept (default .flowc; env FLOWC_HOME)",
)
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _home(home: str | None, storage: str | None = None, namespace_files: str | None = None):
    import sqlite3

    from runtime.errors import FlowcRuntimeError
    from runtime.runs import open_home

    try:
        return open_home(home, storage_url=storage, namespace_files=namespace_files)
    except (FlowcRuntimeError, sqlite3.DatabaseError, OSError) as exc:
        where = home or "FLOWC_HOME or ./.flowc"
        click.echo(f"flowc: cannot open the run store in {where}: {exc}", err=True)
        click.echo(
            "nothing was changed; point --home at another directory, or move this one aside",
            err=True,
        )
        sys.exit(ExitCode.USAGE)


def _execution(home, prefix: str) -> dict:
    from runtime.state import StateError

    try:
        return home.state.find_execution(prefix)
    except StateError as exc:
        _fail(str(exc))
        raise AssertionError from exc


def _executor(
    kind: str, scheduler: str | None, workers: int | None, max_workers: int, storage
) -> object:
    if kind == "threads":
        from runtime.executors import ThreadExecutor

        return ThreadExecutor(max_workers)
    try:
        from runtime.executors.dask import DaskExecutor
    except ImportError as exc:
        _fail(f"--executor {kind} needs the dask extra: pip install 'flowc[dask]' ({exc})")
    try:
        # --max-workers bounds the tasks running at once, spread over dask-local's processes
        threads = max(1, -(-max_workers // (workers or 2))) if kind == "dask-local" else None
        return DaskExecutor.create(
            kind, scheduler=scheduler, workers=workers, storage=storage, threads_per_worker=threads
        )
    except ValueError as exc:
        _fail(str(exc))


def _print_report(report, fmt: str, home) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.namespace}.{report.flow_id} - execution {report.execution_id}")
    for column in ("task", "state", "duration", "attempts"):
        table.add_column(column)
    colours = {
        "SUCCESS": "green",
        "FAILED": "red",
        "WARNING": "yellow",
        "SKIPPED": "grey50",
        "KILLED": "red",
    }
    for task in report.tasks:
        name = task["id"] + (f"[{task['value']}]" if task.get("value") is not None else "")
        table.add_row(
            name,
            f"[{colours.get(task['state'], 'white')}]{task['state']}[/]",
            _duration(task),
            str(task["attempts"]),
        )
    console = Console()
    console.print(table)
    if report.outputs:
        console.print("flow outputs: " + json.dumps(report.outputs, default=str))
    colour = colours.get(report.state, "white")
    console.print(f"execution [bold]{report.execution_id}[/] finished [{colour}]{report.state}[/]")
    if report.state in ("FAILED", "KILLED"):
        for task in report.tasks:
            if task["state"] in ("FAILED", "KILLED") and task.get("error"):
                console.print(
                    f"  [red]{task['id']}[/]: {task['error']}", markup=True, highlight=False
                )
        console.print(
            f"inspect with 'flowc logs {report.execution_id}', fix, then 'flowc resume {report.execution_id}'"
        )


def _duration(task: dict) -> str:
    import datetime as dt

    if not task.get("start") or not task.get("end"):
        return ""
    try:
        start = dt.datetime.fromisoformat(task["start"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(task["end"].replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{(end - start).total_seconds():.2f}s"


def _state_exit(state: str) -> int:
    return ExitCode.OK if state in ("SUCCESS", "WARNING", "PAUSED") else ExitCode.PROBLEMS


@main.command("run")
@click.argument("flow", type=click.Path())
@click.option(
    "--input",
    "-i",
    "input_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="a flow input (repeatable)",
)
@click.option(
    "--inputs",
    "input_files",
    multiple=True,
    type=click.Path(),
    help="inputs from a JSON or YAML file",
)
@click.option("--order", type=ORDER, default="data", show_default=True)
@click.option(
    "--max-workers",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="tasks running at once",
)
@click.option("--keep-going", is_flag=True, help="after a failure, independent branches go on")
@click.option(
    "--runner",
    type=click.Choice(["auto", "process", "docker"]),
    default="auto",
    show_default=True,
    help="script task runner",
)
@click.option("--flows-dir", type=click.Path(), help="directory of flows for Subflow tasks")
@click.option("--namespace-files", type=click.Path(), help="directory served as nsfile:///")
@click.option("--label", "label_pairs", multiple=True, metavar="KEY=VALUE")
@click.option(
    "--executor",
    type=click.Choice(["threads", "dask", "dask-local"]),
    default="threads",
    show_default=True,
)
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786) for --executor dask")
@click.option(
    "--workers", type=click.IntRange(min=1), help="worker processes for --executor dask-local"
)
@click.option("--storage", help="internal storage URL (fsspec: a path, s3://bucket/prefix...)")
@click.option("--from", "from_task", help="replay from this task (with --execution)")
@click.option("--execution", "execution", help="the execution to replay from")
@click.option("--quiet", "-q", is_flag=True, help="no live progress")
@HOME
@FORMAT
def run_command(
    flow,
    input_pairs,
    input_files,
    order,
    max_workers,
    keep_going,
    runner,
    flows_dir,
    namespace_files,
    label_pairs,
    executor,
    scheduler,
    workers,
    storage,
    from_task,
    execution,
    quiet,
    home,
    fmt,
):
    """Run FLOW: tasks start as soon as their inputs exist, in parallel."""
    from runtime.engine import RunOptions
    from runtime.errors import FlowcRuntimeError, InputError
    from runtime.inputs import parse_cli_inputs
    from runtime.progress import progress_for
    from runtime.runs import CompileFailed, replay, run_flow

    if not Path(flow).is_file():
        _fail(f"no such flow file: {flow}")
    if bool(from_task) != bool(execution):
        _fail("--from and --execution go together: flowc run FLOW --from TASK --execution EXEC")
    try:
        provided = parse_cli_inputs(list(input_pairs), list(input_files))
    except InputError as exc:
        _fail(str(exc))
    labels = {}
    for pair in label_pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            _fail(f"--label expects key=value, got '{pair}'")
        labels[key] = value
    options = RunOptions(
        order=order,
        max_workers=max_workers,
        keep_going=keep_going,
        runner=runner,
        flows_dir=flows_dir,
        namespace_files=namespace_files,
        labels=labels,
    )
    h = _home(home, storage, namespace_files)
    pool = _executor(executor, scheduler, workers, max_workers, h.storage)
    if runner == "auto" and not quiet and fmt == "text":
        from runtime.runners import docker_available

        click.echo(
            "script runner: "
            + (
                "Docker where the task's image is present, else Process (an engine answers)"
                if docker_available()
                else "Process (no Docker engine answers)"
            ),
            err=True,
        )
    try:
        from compiler.pipeline import compile_flow

        compilation = compile_flow(flow, order)
        total = len(compilation.flow.all_tasks()) if compilation.flow else 0
        progress = progress_for(total, quiet or fmt == "json")
        with progress or _Null():
            if from_task:
                report = replay(
                    flow,
                    execution,
                    from_task,
                    home=h,
                    options=options,
                    executor=pool,
                    listener=progress,
                )
            else:
                report = run_flow(
                    compilation,
                    inputs=provided,
                    options=options,
                    home=h,
                    executor=pool,
                    listener=progress,
                )
    except CompileFailed as exc:
        if exc.compilation is not None:
            from compiler import report as rep

            click.echo(
                rep.format_text(
                    exc.compilation.errors, {exc.compilation.source.path: exc.compilation.source}
                ),
                err=True,
            )
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)
    except InputError as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    except FlowcRuntimeError as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)
    finally:
        h.close()
    _print_report(report, fmt, h)
    sys.exit(_state_exit(report.state))


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


@main.command("resume")
@click.argument("execution")
@click.option("--quiet", "-q", is_flag=True)
@HOME
@FORMAT
def resume_command(execution, quiet, home, fmt):
    """Resume EXECUTION: re-run failed, killed and never-started tasks; reuse the rest."""
    from runtime.errors import FlowcRuntimeError
    from runtime.progress import progress_for
    from runtime.runs import CompileFailed, resume

    h = _home(home)
    found = _execution(h, execution)
    try:
        progress = progress_for(0, quiet or fmt == "json")
        with progress or _Null():
            report = resume(found["id"], home=h, listener=progress)
    except (CompileFailed, FlowcRuntimeError) as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)
    _print_report(report, fmt, h)
    h.close()
    sys.exit(_state_exit(report.state))


@main.command("executions")
@click.option("--flow", "flow_id", help="only this flow id")
@click.option("--namespace")
@click.option("--state")
@click.option("--limit", type=int, default=50, show_default=True)
@HOME
@FORMAT
def executions_command(flow_id, namespace, state, limit, home, fmt):
    """List runs, newest first."""
    h = _home(home)
    rows = h.state.list_executions(
        flow_id=flow_id, namespace=namespace, state=state.upper() if state else None, limit=limit
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        k: r.get(k)
                        for k in (
                            "id",
                            "namespace",
                            "flow_id",
                            "state",
                            "start",
                            "end",
                            "parent_id",
                            "original_id",
                        )
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for column in ("execution", "flow", "state", "start", "end"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["id"],
            f"{r['namespace']}.{r['flow_id']}",
            r["state"],
            r.get("start") or "",
            r.get("end") or "",
        )
    Console().print(table)


@main.command("show")
@click.argument("execution")
@HOME
@FORMAT
def show_command(execution, home, fmt):
    """One run's tasks with their states and durations."""
    from runtime.runs import report

    h = _home(home)
    found = _execution(h, execution)
    _print_report(report(h, found["id"]), fmt, h)


@main.command("outputs")
@click.argument("execution")
@click.argument("task", required=False)
@HOME
@FORMAT
def outputs_command(execution, task, home, fmt):
    """The outputs of a run's tasks (Kestra's Outputs tab)."""
    h = _home(home)
    found = _execution(h, execution)
    outputs = h.state.outputs(found["id"])
    if task is not None:
        if task not in outputs:
            _fail(
                f"task '{task}' has no outputs in execution {found['id']}; tasks with outputs: {', '.join(sorted(outputs)) or 'none'}"
            )
        outputs = {task: outputs[task]}
    # stored outputs were masked when they were written (secrets never reach the store)
    if fmt == "json":
        click.echo(json.dumps(outputs, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"outputs of {found['id']}")
    table.add_column("task")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for task_id, values in outputs.items():
        for key, value in _flatten(values):
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            text = " ".join(text.split()) if len(text) > 200 else text  # long bodies: one line
            table.add_row(task_id, key, text if len(text) <= 200 else text[:197] + "...")
    Console().print(table)


def _flatten(value, prefix: str = ""):
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            name = (
                f"{prefix}.{key}"
                if prefix and "." not in str(key) and "/" not in str(key)
                else (f"{prefix}['{key}']" if prefix else str(key))
            )
            if isinstance(inner, dict) and prefix.count(".") < 1:
                yield from _flatten(inner, name)
            else:
                yield name, inner
    else:
        yield prefix or "(value)", value


@main.command("eval", short_help="Render an expression against a finished run.")
@click.argument("execution")
@click.argument("expression")
@HOME
def eval_command(execution, expression, home):
    """Render EXPRESSION ('{{ ... }}') against a finished run."""
    from runtime.errors import ExpressionError
    from runtime.runs import evaluate

    h = _home(home)
    found = _execution(h, execution)
    try:
        click.echo(evaluate(found["id"], expression, home=h))
    except ExpressionError as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)


@main.command("logs")
@click.argument("execution")
@click.argument("task", required=False)
@click.option(
    "--level", type=click.Choice(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"], case_sensitive=False)
)
@HOME
@FORMAT
def logs_command(execution, task, level, home, fmt):
    """A run's logs, optionally for one task and from a level up."""
    h = _home(home)
    found = _execution(h, execution)
    rows = h.state.logs(found["id"], task_id=task, min_level=level.upper() if level else None)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        click.echo(f"{row['at']} {row['level']:<5} {row.get('task_id') or '-'}: {row['message']}")


@main.command("preview")
@click.argument("uri")
@click.option("--rows", type=int, default=20, show_default=True)
@HOME
@FORMAT
def preview_command(uri, rows, home, fmt):
    """The first rows of a stored file (Ion, CSV, JSON lines, Parquet) as a table."""
    from runtime.errors import StorageError
    from runtime.preview import PreviewError, preview

    h = _home(home)
    try:
        data = preview(h.storage, uri, rows)
    except (StorageError, PreviewError) as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    click.echo(uri, err=True)
    table = Table()
    columns = list(dict.fromkeys(k for row in data for k in row)) if data else []
    for column in columns:
        table.add_column(str(column))
    for row in data:
        table.add_row(*[str(row.get(c, "")) for c in columns])
    Console().print(table)


@main.command("download")
@click.argument("uri")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="local file to write (never overwritten)",
)
@HOME
def download_command(uri, output, home):
    """Copy a stored file to a local path."""
    from runtime.errors import StorageError

    h = _home(home)
    target = Path(output)
    if target.exists():
        _fail(f"{output} already exists: choose another path (flowc never overwrites files)")
    try:
        h.storage.get_file(uri, str(target))
    except StorageError as exc:
        click.echo(f"flowc: {exc}", err=True)
        sys.exit(ExitCode.PROBLEMS)
    click.echo(f"wrote {target}")


@main.command("schema")
@click.option("-o", "--output", type=click.Path(), help="write to this file instead of stdout")
def schema_command(output: str | None) -> None:
    """Print a JSON Schema for flow files, generated from the task catalog."""
    from compiler.schema import flow_schema

    text = json.dumps(flow_schema(), indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


if __name__ == "__main__":  # pragma: no cover
    main()
