"""Diagnostics and plans -> what a user or a tool reads: text, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from compiler.diagnostics import CODES, Diagnostic, Severity
from compiler.pipeline import Compilation
from compiler.source import SourceFile

VERSION = "0.1.0"
INFO_URI = "https://kestra.io/docs/workflow-components"


class ExitCode(enum.IntEnum):
    OK = 0  # no errors (warnings allowed unless --strict)
    PROBLEMS = 1  # the flows have errors (or warnings under --strict)
    USAGE = 2  # bad option, missing file
    INTERNAL = 3  # a bug in flowc: never the answer to bad input


def exit_code(diagnostics: Iterable[Diagnostic], strict: bool = False) -> ExitCode:
    for d in diagnostics:
        if d.severity is Severity.ERROR or (strict and d.severity is Severity.WARNING):
            return ExitCode.PROBLEMS
    return ExitCode.OK


# --- text -----------------------------------------------------------------------------------


def format_text(
    diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile], color: bool = False
) -> str:
    lines: list[str] = []
    for d in diagnostics:
        sev = d.severity.value
        if color:
            sev = {"error": "\x1b[31merror\x1b[0m", "warning": "\x1b[33mwarning\x1b[0m"}.get(
                sev, sev
            )
        lines.append(f"{d.file}:{d.span.line}:{d.span.column}: {sev}: {d.message} [{d.code}]")
        source = sources.get(d.file)
        if source is not None:
            text = source.line_text(d.span.line)
            if text:
                lines.append(f"  {d.span.line:>4} | {text}")
                width = max(
                    1,
                    (d.span.end_column - d.span.column)
                    if d.span.end_line == d.span.line
                    else len(text) - d.span.column + 1,
                )
                lines.append(
                    "       | " + " " * (d.span.column - 1) + "^" + "~" * (min(width, 80) - 1)
                )
        if d.hint:
            lines.append(f"       = hint: {d.hint}")
    return "\n".join(lines)


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    return f"{files} file{'s' * (files != 1)} checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def format_plan_text(result: Compilation) -> str:
    if result.plan is None or result.graph is None:
        return ""
    plan = result.plan
    out = [
        f"plan ({plan.order} order): {len(result.graph.tasks)} tasks, {len(plan.layers)} layers, width {plan.width}"
    ]
    for i, layer in enumerate(plan.layers, 1):
        out.append(f"  layer {i}: {', '.join(layer)}")
    if plan.critical_path:
        out.append(f"  critical path: {' -> '.join(plan.critical_path)}")
    edges = result.graph.edges()
    if edges:
        out.append("edges:")
        for e in edges:
            label = f" [{e.label}]" if e.label else ""
            where = f" (line {e.via[0].line})" if e.via else ""
            out.append(f"  {e.source} -> {e.target} {e.kind}{label}{where}")
    return "\n".join(out)


# --- JSON -----------------------------------------------------------------------------------


def compilation_dict(result: Compilation) -> dict[str, object]:
    flow = result.flow
    graph = result.graph
    plan = result.plan
    tasks = []
    if flow is not None:
        for task in flow.all_tasks():
            tasks.append(
                {
                    "id": task.id,
                    "type": task.type,
                    "parent": task.parent.id if task.parent else None,
                    "section": task.section,
                    "line": task.line,
                }
            )
    return {
        "flow": {
            "id": flow.id if flow else None,
            "namespace": flow.namespace if flow else None,
            "file": result.source.path,
        },
        "order": result.order,
        "tasks": tasks,
        "edges": [
            {"from": e.source, "to": e.target, "kind": e.kind, "via": [v.to_dict() for v in e.via]}
            for e in (graph.edges() if graph else [])
        ],
        "layers": [list(layer) for layer in plan.layers] if plan else [],
        "critical_path": list(plan.critical_path) if plan else [],
        "width": plan.width if plan else 0,
        "diagnostics": [d.to_dict() for d in result.diagnostics],
    }


def lint_json(diagnostics: Sequence[Diagnostic], files: int) -> str:
    return json.dumps(
        {"version": 1, "files": files, "diagnostics": [d.to_dict() for d in diagnostics]}, indent=2
    )


# --- SARIF ----------------------------------------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(diagnostics: Sequence[Diagnostic]) -> dict[str, object]:
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": meaning},
            "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
        }
        for code, (severity, meaning) in CODES.items()
    ]
    index = {code: i for i, code in enumerate(CODES)}
    results = []
    for d in diagnostics:
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        results.append(
            {
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": _SARIF_LEVEL[d.severity],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(d.file).as_posix()},
                            "region": {
                                "startLine": d.span.line,
                                "startColumn": d.span.column,
                                "endLine": max(d.span.end_line, d.span.line),
                                "endColumn": max(d.span.end_column, d.span.column + 1)
                                if d.span.end_line <= d.span.line
                                else d.span.end_column,
                            },
                        }
                    }
                ],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flowc",
                        "version": VERSION,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


# --- GitHub workflow annotations ------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        level = {"error": "error", "warning": "warning"}.get(d.severity.value, "notice")
        message = d.message + (f" — hint: {d.hint}" if d.hint else "")
        props = (
            f"file={_escape_property(d.file)},line={d.span.line},col={d.span.column},"
            f"endLine={d.span.end_line},endColumn={d.span.end_column},title={_escape_property('flowc ' + d.code)}"
        )
        lines.append(f"::{level} {props}::{_escape_data(message)}")
    return "\n".join(lines)
