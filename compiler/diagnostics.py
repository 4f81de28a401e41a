"""Diagnostics are data: a code, a severity, a message, a span and a hint.

Checks append them to a :class:`Collector`; only the CLI turns them into an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from compiler.source import Span


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: Every diagnostic code flowc emits, with its default severity and a one-line meaning.
CODES: dict[str, tuple[Severity, str]] = {
    "yaml-syntax": (Severity.ERROR, "the file is not valid YAML"),
    "duplicate-key": (Severity.ERROR, "a mapping has the same key twice"),
    "invalid-flow": (Severity.ERROR, "a required top-level key is missing or has the wrong type"),
    "invalid-id": (Severity.ERROR, "an id breaks Kestra's id rules"),
    "duplicate-task-id": (Severity.ERROR, "two tasks share an id anywhere in the flow"),
    "duplicate-id": (Severity.ERROR, "two inputs, outputs or triggers share an id"),
    "unknown-task-type": (Severity.WARNING, "a task type flowc's catalog does not know"),
    "missing-property": (Severity.ERROR, "a required task property is missing"),
    "unknown-property": (Severity.ERROR, "a property the task type does not have"),
    "expression-syntax": (Severity.ERROR, "a {{ }} or {% %} expression does not parse"),
    "unknown-task": (Severity.ERROR, "an outputs.X or dependsOn names no task"),
    "unknown-output": (Severity.ERROR, "the task's type declares no such output"),
    "unknown-output-file": (Severity.ERROR, "no declared outputFiles entry matches the key"),
    "hyphen-dot-access": (Severity.ERROR, "a hyphenated id read with a dot"),
    "unknown-input": (Severity.ERROR, "inputs.X names no declared input"),
    "unknown-variable": (Severity.ERROR, "vars.X names no declared variable"),
    "unknown-filter": (Severity.ERROR, "a filter Kestra does not have"),
    "unknown-function": (Severity.ERROR, "a function Kestra does not have"),
    "unknown-test": (Severity.ERROR, "an 'is' test Kestra does not have"),
    "dynamic-reference": (Severity.WARNING, "a reference whose key is computed at run time"),
    "self-reference": (Severity.ERROR, "a task reads its own outputs"),
    "cycle": (Severity.ERROR, "tasks depend on each other in a cycle"),
    "conditional-reference": (Severity.WARNING, "the producer of an output may not run"),
    "loop-reference": (Severity.ERROR, "a task inside a loop referenced without its value key"),
}


@dataclass(frozen=True)
class Related:
    message: str
    span: Span


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    file: str = ""
    severity: Severity = Severity.ERROR
    hint: str | None = None
    task: str | None = None
    related: tuple[Related, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "task": self.task,
        }


@dataclass
class Collector:
    """Gathers diagnostics for one file; checks never raise, they add."""

    file: str = ""
    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        span: Span,
        *,
        hint: str | None = None,
        task: str | None = None,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
    ) -> None:
        if code not in CODES:
            raise KeyError(f"unregistered diagnostic code {code!r}")
        self.items.append(
            Diagnostic(
                code=code,
                message=message,
                span=span,
                file=self.file,
                severity=severity or CODES[code][0],
                hint=hint,
                task=task,
                related=tuple(related),
            )
        )

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.file, d.span.line, d.span.column, d.code)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A close match among candidates, for hints ("did you mean 'api'?")."""
    import difflib

    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            return lowered[name.lower()]
        return None
    return matches[0]
