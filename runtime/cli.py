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
