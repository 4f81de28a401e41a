"""Stage 3: find every templated string of the flow and parse it with the Pebble parser.

Each templated scalar becomes a :class:`Site`: who owns it (a task, a flow output, an input,
a variable...), its YAML path, and its AST. :func:`locate` maps a template offset back to the
file, also inside block scalars.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compiler.diagnostics import Collector
from compiler.expr.lexer import TemplateSyntaxError
from compiler.expr.nodes import Template
from compiler.expr.parser import has_template, parse_cached
from compiler.loader import YMap, YNode, YScalar, YSeq
from compiler.model import CHILD_LIST_FIELDS, NOT_RENDERED, Flow, Task
from compiler.source import SourceFile, Span


@dataclass(eq=False)
class Site:
    owner_kind: str  # task | output | input | variable | trigger | default | label | other
    owner: str  # task id, output id, input id, variable name...
    task: Task | None
    path: str
    scalar: YScalar
    template: Template | None  # None when it did not parse

    @property
    def text(self) -> str:
        return self.scalar.value


def verbatim_offset(source: SourceFile, scalar: YScalar) -> int | None:
    """Where the scalar's value starts in the file when it is written there verbatim (a plain
    scalar, or a quoted one without escapes, on one line), else None. Offsets inside such a value map to the file by addition."""
    value = scalar.value
    if "\n" in value or not isinstance(value, str):
        return None
    base = scalar.span.offset + (1 if scalar.style in ("'", '"') else 0)
    if scalar.style not in (None, "'", '"') or not source.text.startswith(value, base):
        return None
    return base


def locate(
    source: SourceFile, scalar: YScalar, start: int, end: int, base: int | None = None
) -> Span:
    """File span of ``scalar.value[start:end]``.

    With ``base`` (from :func:`verbatim_offset`) the answer is an addition. Otherwise the
    fragment is looked up verbatim in the scalar's raw text; that is exact for plain, quoted
    (without escapes in the fragment) and literal block scalars. Otherwise the first line of
    the fragment is tried, then the scalar's own position.
    """
    if base is not None:
        return source.span(base + start, base + end)
    value: str = scalar.value
    raw = source.text[scalar.span.offset : scalar.span.end_offset]
    fragment = value[start:end]
    for piece in (fragment, fragment.split("\n", 1)[0]):
        if not piece:
            continue
        occurrence = value.count(piece, 0, start)
        index = -1
        for _ in range(occurrence + 1):
            index = raw.find(piece, index + 1)
            if index < 0:
                break
        if index >= 0:
            file_start = scalar.span.offset + index
            return source.span(file_start, file_start + len(piece))
    return scalar.span


def _scalars(
    node: YNode | None, path: str, skip: frozenset[str] = NOT_RENDERED
) -> Iterator[tuple[str, YScalar]]:
    if node is None:
        return
    if isinstance(node, YScalar):
        if isinstance(node.value, str) and has_template(node.value):
            yield path, node
    elif isinstance(node, YSeq):
        for i, item in enumerate(node.items):
            yield from _scalars(item, f"{path}[{i}]", skip)
    elif isinstance(node, YMap):
        for key, value in node.pairs:
            if key.value in skip:
                continue
            yield from _scalars(value, f"{path}.{key.value}" if path else str(key.value), skip)


def _task_scalars(task: Task) -> Iterator[tuple[str, YScalar]]:
    """The task's own templated properties; child tasks own theirs."""
    for key, value in task.node.pairs:
        name = key.value
        if name in NOT_RENDERED:
            continue
        if task.children and (
            name in CHILD_LIST_FIELDS
            or name == "cases"
            or (name == "task" and isinstance(value, YMap))
        ):
            continue
        yield from _scalars(value, f"{task.path}.{name}")


def collect(flow: Flow, collector: Collector) -> list[Site]:
    sites: list[Site] = []

    def add(kind: str, owner: str, task: Task | None, path: str, scalar: YScalar) -> None:
        try:
            template: Template | None = parse_cached(scalar.value)
        except TemplateSyntaxError as exc:
            template = None
            span = locate(flow.source, scalar, exc.offset, exc.end)
            collector.add(
                "expression-syntax",
                f"invalid expression: {exc.message}",
                span,
                hint=_syntax_hint(exc.message, scalar.value),
                task=task.id if task else None,
            )
        sites.append(Site(kind, owner, task, path, scalar, template))

    for task in flow.all_tasks():
        for path, scalar in _task_scalars(task):
            add("task", task.id, task, path, scalar)
    for output in flow.outputs:
        for path, scalar in _scalars(output.node, output.path):
            add("output", output.id, None, path, scalar)
    for inp in flow.inputs:
        for path, scalar in _scalars(inp.node, inp.path):
            add("input", inp.id, None, path, scalar)
    if flow.variables is not None:
        for key, value in flow.variables.pairs:
            for path, scalar in _scalars(value, f"variables.{key.value}"):
                add("variable", str(key.value), None, path, scalar)
    for trigger in flow.triggers:
        for path, scalar in _scalars(trigger.node, trigger.path):
            add("trigger", trigger.id, None, path, scalar)
    for section in ("pluginDefaults", "taskDefaults", "labels", "concurrency", "retry"):
        for path, scalar in _scalars(flow.root.get(section), section):
            add("other", section, None, path, scalar)
    return sites


def _syntax_hint(message: str, text: str) -> str | None:
    if "'{{' has no matching '}}'" in message:
        return "close the expression with '}}'"
    if "expected ',' or ')'" in message and "''" in text:
        return "Pebble strings have no '' escape: write \\' inside '...' or use \"...\""
    if "unknown tag" in message:
        return "Pebble tags are if/elseif/else, for, set, raw, macro, filter, block"
    if "attribute name after '.'" in message:
        return "ids with '-' or other characters need brackets: outputs['task-id']"
    return "wrap literal '{{' in {% raw %}...{% endraw %} if it is not an expression"
