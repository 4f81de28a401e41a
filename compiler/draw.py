"""The task graph -> pictures: DOT (and SVG/PNG/PDF through Graphviz), Mermaid, or text.

The only module that imports ``graphviz``, and only inside :func:`_render`, so that importing
the compiler (``flowc lint``) stays fast. Every output is built from one :class:`_Scene`: the
tasks to draw, their clusters, the edges with why they exist, the inputs and flow outputs, the
critical path and (for ``--execution``) the state of each task.

How the picture reads:
- a task is a node: its id in bold, its short type below, the shape and colour of its family
  (HTTP, script, SQL, log, subflow, storage, KV, flow control);
- a flowable with children is a cluster holding them; If/Switch branches and a flowable's own
  ``errors``/``finally`` are dashed sub-clusters; the flow's ``errors``, ``finally`` and
  ``afterExecution`` lists are clusters of their own, drawn after the main tasks;
- an edge into or out of a flowable is drawn to one of its children and clipped at the
  cluster's border (``compound=true`` with ``lhead``/``ltail``); invisible edges to the other
  children keep the whole cluster on the right side of the edge (no anchor nodes: an anchor
  takes a rank of its own and leaves an empty column in the cluster);
- a data edge is solid and labelled with what it carries; its tooltip holds each expression and
  its line; order-only edges are dashed;
- inputs (left) and flow outputs (right) are tag-shaped nodes at the edges of the picture;
- the critical path (top-level tasks) is drawn bold in one colour.

Errors: :class:`DrawError` for anything a user can fix (unknown format, bad selector, no
Graphviz, unwritable file), with a one-line message.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.catalog import lookup
from compiler.graph import Edge, Via
from compiler.model import Task

if TYPE_CHECKING:
    from compiler.pipeline import Compilation

__all__ = [
    "FORMATS",
    "IMAGE_FORMATS",
    "RANKDIRS",
    "STATE_COLOURS",
    "DrawError",
    "draw",
    "format_for",
    "to_dot",
    "to_mermaid",
    "to_text",
]

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "text")
IMAGE_FORMATS = ("svg", "png", "pdf")
RANKDIRS = ("LR", "TB", "RL", "BT")
EXTENSIONS = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".txt": "text",
}
NO_DOT = (
    "Graphviz's 'dot' program is not installed: run 'apt-get install graphviz' (or 'make deps'); "
    "DOT and Mermaid output still work (--format dot|mermaid)"
)


class DrawError(Exception):
    """Raised when a picture cannot be drawn for a reason the user can fix; one line."""


# --------------------------------------------------------------------------------------
# Styles: data, in one place.


@dataclass(frozen=True)
class Style:
    shape: str  # Graphviz shape
    fill: str
    border: str
    mermaid: tuple[str, str]  # Mermaid node brackets around the label


FAMILY_STYLES: dict[str, Style] = {
    "http": Style("box", "#dbeafe", "#2563eb", ("([", "])")),
    "script": Style("box", "#dcfce7", "#16a34a", ("[", "]")),
    "sql": Style("cylinder", "#fef3c7", "#d97706", ("[(", ")]")),
    "log": Style("note", "#f1f5f9", "#64748b", (">", "]")),
    "subflow": Style("component", "#ede9fe", "#7c3aed", ("[[", "]]")),
    "storage": Style("folder", "#e0f2fe", "#0284c7", ("[(", ")]")),
    "kv": Style("tab", "#fae8ff", "#a21caf", ("[", "]")),
    "flow-control": Style("hexagon", "#fee2e2", "#dc2626", ("{{", "}}")),
    "flowable": Style("box3d", "#f8fafc", "#475569", ("[", "]")),
    "other": Style("box", "#ffffff", "#64748b", ("[", "]")),
}
INPUT_STYLE = Style("cds", "#fef9c3", "#a16207", ("[/", "/]"))
OUTPUT_STYLE = Style("cds", "#ccfbf1", "#0f766e", ("[\\", "\\]"))

#: Kestra states -> (fill, font colour).
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "SUCCESS": ("#86efac", "#052e16"),
    "FAILED": ("#f87171", "#450a0a"),
    "WARNING": ("#fdba74", "#431407"),
    "SKIPPED": ("#d1d5db", "#1f2937"),
    "RUNNING": ("#93c5fd", "#172554"),
    "KILLED": ("#7f1d1d", "#ffffff"),
    "KILLING": ("#b91c1c", "#ffffff"),
    "CANCELLED": ("#9ca3af", "#111827"),
    "CREATED": ("#ffffff", "#111827"),
    "QUEUED": ("#e0e7ff", "#1e1b4b"),
    "PAUSED": ("#fde68a", "#422006"),
    "RETRYING": ("#c4b5fd", "#2e1065"),
    "RETRIED": ("#ddd6fe", "#2e1065"),
    "RESTARTED": ("#bae6fd", "#082f49"),
    "BREAKPOINT": ("#fde68a", "#422006"),
    "RESUBMITTED": ("#bae6fd", "#082f49"),
}
NOT_RUN = ("#ffffff", "#94a3b8")  # tasks absent from the execution
CRITICAL = "#be185d"
EDGE_COLOUR = "#475569"
ORDER_COLOUR = "#94a3b8"
INPUT_EDGE_COLOUR = "#a16207"
OUTPUT_EDGE_COLOUR = "#0f766e"
FONT = "Helvetica"

#: Flow-level sections drawn as clusters: (label, border, fill).
SECTION_STYLES = {
    "errors": ("errors", "#dc2626", "#fef2f2"),
    "finally": ("finally", "#7c3aed", "#f5f3ff"),
    "afterExecution": ("afterExecution", "#0891b2", "#ecfeff"),
}
MAX_LABEL = 40
PNG_DPI = 110
MAX_LAYOUT_EDGES = 64  # invisible edges per cluster edge before falling back to a star


# --------------------------------------------------------------------------------------
# Public API


def format_for(output: str | None, fmt: str | None) -> str:
    """The output format: ``fmt`` when given, else from the file extension, else ``dot``."""
    if fmt:
        if fmt not in FORMATS:
            raise DrawError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
        return fmt
    if output is None:
        return "dot"
    suffix = Path(output).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise DrawError(
        f"cannot tell the format of '{output}' from its extension: name it "
        f"{'|'.join(EXTENSIONS)} or give --format {'|'.join(FORMATS)}"
    )


def draw(
    compilation: Compilation,
    output: str | None = None,
    fmt: str | None = None,
    *,
    select: str | None = None,
    states: Mapping[str, tuple[str, float | None]] | None = None,
    rankdir: str = "LR",
) -> str | None:
    """Draw the flow's graph. Writes ``output`` atomically and returns None, or returns the
    text (DOT, Mermaid, text) when no output is given."""
    fmt = format_for(output, fmt)
    if fmt in IMAGE_FORMATS and output is None:
        raise DrawError(f"--format {fmt} needs -o FILE")
    if fmt == "dot":
        text = to_dot(compilation, select=select, states=states, rankdir=rankdir)
    elif fmt == "mermaid":
        text = to_mermaid(compilation, select=select, states=states, rankdir=rankdir)
    elif fmt == "text":
        text = to_text(compilation, select=select, states=states)
    else:
        dpi = PNG_DPI if fmt == "png" else None
        dot = to_dot(compilation, select=select, states=states, rankdir=rankdir, dpi=dpi)
        assert output is not None
        _write(output, _render(dot, fmt))
        return None
    if output is None:
        return text
    _write(output, (text if text.endswith("\n") else text + "\n").encode("utf-8"))
    return None


def to_dot(
    compilation: Compilation,
    *,
    select: str | None = None,
    states: Mapping[str, tuple[str, float | None]] | None = None,
    rankdir: str = "LR",
    dpi: int | None = None,
) -> str:
    """The DOT source of the picture (``dpi`` for bitmap output)."""
    if rankdir not in RANKDIRS:
        raise DrawError(f"unknown rankdir '{rankdir}': choose one of {', '.join(RANKDIRS)}")
    return _Dot(_scene(compilation, select, states), rankdir, dpi).render()


def to_mermaid(
    compilation: Compilation,
    *,
    select: str | None = None,
    states: Mapping[str, tuple[str, float | None]] | None = None,
    rankdir: str = "LR",
) -> str:
    """A Mermaid ``flowchart`` that GitHub renders in markdown."""
    if rankdir not in RANKDIRS:
        raise DrawError(f"unknown rankdir '{rankdir}': choose one of {', '.join(RANKDIRS)}")
    return _Mermaid(_scene(compilation, select, states), rankdir).render()


def to_text(
    compilation: Compilation,
    *,
    select: str | None = None,
    states: Mapping[str, tuple[str, float | None]] | None = None,
) -> str:
    """The layers and the edges, for a terminal."""
    return _text(_scene(compilation, select, states))


# --------------------------------------------------------------------------------------
# The scene: what to draw, shared by every output


@dataclass
class _Link:
    """An edge of the picture: task -> task, input -> task/output, or task -> output."""

    source: str
    target: str
    kind: str  # data | order | input | output
    via: tuple[Via, ...]
    label: str
    critical: bool = False


@dataclass
class _Scene:
    compilation: Compilation
    tasks: dict[str, Task]  # drawn tasks, file order
    clusters: set[str]  # drawn flowables that have drawn children
    children: dict[str, list[Task]]  # drawn children of each cluster
    sections: dict[str, list[Task]]  # drawn top-level tasks of each section
    links: list[_Link]
    inputs: list[tuple[str, str]]  # (id, type)
    outputs: list[tuple[str, str]]
    critical: set[str]
    states: Mapping[str, tuple[str, float | None]] | None
    hidden: dict[str, int]  # cluster id -> children not drawn (selection)
    selection: str | None = None
    selected: int = 0  # tasks chosen by the selection (without the flowables around them)
    total: int = 0
    layers: list[list[str]] = field(default_factory=list)

    def family(self, task: Task) -> str:
        task_type = lookup(task.type)
        family = task_type.family if task_type is not None else "other"
        return family if family in FAMILY_STYLES else "other"

    def short(self, task: Task) -> str:
        task_type = lookup(task.type)
        return (task_type.short_name if task_type is not None else "") or task.short_type

    def snippet(self, via: Via, name: str) -> str:
        """The ``{{ ... }}`` around a reference, from its source line (else the expression)."""
        return _snippet(self.compilation.source.line_text(via.line), via, name)


def _scene(
    compilation: Compilation,
    selection: str | None,
    states: Mapping[str, tuple[str, float | None]] | None,
) -> _Scene:
    flow, task_graph = compilation.flow, compilation.graph
    if flow is None or task_graph is None:
        raise DrawError(
            "the flow has no task graph to draw: fix the errors 'flowc compile' reports"
        )
    graph = task_graph.graph
    canonical = task_graph.tasks  # id -> the first task with that id

    wanted: set[str] | None = None
    if selection is not None and selection.strip():
        from compiler.select import SelectorError, select

        try:
            chosen = select(graph, selection)
        except SelectorError as exc:
            raise DrawError(str(exc)) from None
        selected = set(chosen)
        for task_id in chosen:
            selected.update(_descendants(canonical[task_id]))
        wanted = set(selected)  # plus the flowables around them, drawn as context
        for task_id in selected:
            wanted.update(t.id for t in canonical[task_id].ancestors())

    sections: dict[str, list[Task]] = {}
    children: dict[str, list[Task]] = {}
    tasks: dict[str, Task] = {}
    hidden: dict[str, int] = {}

    def keep(task: Task) -> bool:
        return canonical.get(task.id) is task and (wanted is None or task.id in wanted)

    def visit(task: Task) -> None:
        tasks[task.id] = task
        shown = [c for c in task.children if keep(c)]
        if shown:
            children[task.id] = shown
        if len(shown) < len(task.children):
            hidden[task.id] = len(task.children) - len(shown)
        for child in shown:
            visit(child)

    for name, section in flow.sections().items():
        shown = [t for t in section if keep(t)]
        if shown:
            sections[name] = shown
        for task in shown:
            visit(task)
    clusters = set(children)

    plan = compilation.plan
    path = plan.critical_path if plan is not None and len(plan.critical_path) > 1 else ()
    steps = set(zip(path, path[1:]))
    top = {task_id: task.top().id for task_id, task in tasks.items()}

    links: list[_Link] = []
    for u, v, data in graph.edges(data=True):
        if u in tasks and v in tasks:
            edge = Edge(u, v, data["kind"], tuple(data["via"]))
            links.append(_Link(u, v, edge.kind, edge.via, edge.label, (top[u], top[v]) in steps))
    uses: dict[tuple[str, str], list[Via]] = {}
    declared_inputs = {i.id: i.type for i in flow.inputs}
    declared_outputs = {o.id: o.type for o in flow.outputs}
    for input_id, owner, via in task_graph.input_uses:
        if owner not in tasks and not owner.startswith("output:"):
            continue  # a variable, trigger or label reads it
        uses.setdefault((input_id, owner), []).append(via)
    sources: dict[tuple[str, str], list[Via]] = {}
    for task_id, output_id, via in task_graph.output_sources:
        if task_id in tasks:
            sources.setdefault((task_id, output_id), []).append(via)

    if wanted is None:
        output_ids = list(declared_outputs)
        output_ids += [o for _, o in sources if o not in declared_outputs]
    else:
        output_ids = [o for _, o in sources]
    output_ids = list(dict.fromkeys(output_ids))
    for (task_id, output_id), vias in sources.items():
        links.append(_Link(task_id, "output:" + output_id, "output", tuple(vias), _label(vias)))
    input_ids: list[str] = []
    for (input_id, owner), vias in uses.items():
        if owner.startswith("output:") and owner.removeprefix("output:") not in output_ids:
            continue
        input_ids.append(input_id)
        links.append(_Link("input:" + input_id, owner, "input", tuple(vias), ""))
    if wanted is None:
        input_ids = list(declared_inputs) + input_ids
    input_ids = list(dict.fromkeys(input_ids))

    scene = _Scene(
        compilation=compilation,
        tasks=tasks,
        clusters=clusters,
        children=children,
        sections=sections,
        links=links,
        inputs=[(i, declared_inputs.get(i, "")) for i in input_ids],
        outputs=[(o, declared_outputs.get(o, "")) for o in output_ids],
        critical={t for t in path if t in tasks},
        states=states,
        hidden=hidden,
        selection=selection if wanted is not None else None,
        selected=len(selected) if wanted is not None else len(tasks),
        total=len(canonical),
    )
    if plan is not None:
        scene.layers = [[t for t in layer if t in tasks] for layer in plan.layers]
        scene.layers = [layer for layer in scene.layers if layer]
    return scene


def _descendants(task: Task) -> Iterable[str]:
    for child in task.children:
        yield child.id
        yield from _descendants(child)


def _label(vias: Iterable[Via]) -> str:
    """What an edge carries, in full: ``body, code``."""
    return ", ".join(_carried(vias))


def _carried(vias: Iterable[Via]) -> list[str]:
    return list(dict.fromkeys(v.carried for v in vias if v.carried))


def _short_label(vias: Iterable[Via]) -> str:
    """The label drawn on an edge: what it carries, shortened to MAX_LABEL characters with a
    count of what is left out (the tooltip has everything). Dag ``dependsOn`` is not drawn:
    the dashed edge says it."""
    items = ["all outputs" if c == "*" else c for c in _carried(vias) if c != "dependsOn"]
    if not items:
        return ""
    shown = [items[0]]
    for item in items[1:]:
        if len(", ".join([*shown, item])) > MAX_LABEL:
            break
        shown.append(item)
    text = ", ".join(shown)
    rest = len(items) - len(shown)
    more = f" +{rest}" if rest else ""
    if len(text) + len(more) > MAX_LABEL:
        text = text[: max(8, MAX_LABEL - len(more) - 1)] + "…"
    return text + more


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _snippet(line: str, via: Via, name: str) -> str:
    """The ``{{ ... }}`` that makes an edge: the tag of the source line around the
    reference's column, else the tag of the expression that names ``name`` (the producer or
    the input) and what is carried, else the expression's first line."""
    index = via.column - 1
    for match in _TAG.finditer(line):
        if match.start() <= index < match.end():
            return match.group()
    tags = [m.group() for m in _TAG.finditer(via.expression)]
    root = re.split(r"[.\[]", via.carried, maxsplit=1)[0]
    for tag in tags:
        if name in tag and root in tag:
            return tag
    text = via.expression.strip()
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 120 else first[:117] + "..."


def _tint(colour: str, strength: float) -> str:
    """``colour`` (#rrggbb) mixed with white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in rgb)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 0.01:
        return "<10 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _why(scene: _Scene, link: _Link) -> list[str]:
    """Tooltip lines: why this edge exists."""
    if link.kind == "input":
        name = link.source.removeprefix("input:")
        return [f"line {v.line}: {scene.snippet(v, name)}" for v in link.via]
    lines = []
    for v in link.via:
        if v.carried == "dependsOn":
            lines.append(f"line {v.line}: {v.expression} (Dag)")
        elif v.carried == "(any output)":
            lines.append(f"line {v.line}: a computed outputs[...] may read '{link.source}'")
        else:
            lines.append(f"line {v.line}: {scene.snippet(v, link.source)}")
    if not lines and link.kind == "order":
        lines.append(_order_reason(scene, link.source, link.target))
    return lines


def _order_reason(scene: _Scene, u: str, v: str) -> str:
    a, b = scene.tasks[u], scene.tasks[v]
    if a.parent is not None and a.parent is b.parent:
        parent = a.parent
        where = "" if a.field == "tasks" else f" '{a.field}'"
        return f"'{v}' runs after '{u}': the{where} children of '{parent.id}' ({parent.short_type}) run in order"
    if a.parent is None and a.section != "tasks":
        return f"'{v}' runs after '{u}': the '{a.section}' tasks run in order"
    return f"'{v}' runs after '{u}': top-level tasks run in list order (--order kestra)"


# --------------------------------------------------------------------------------------
# DOT


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: str) -> str:
    """Text inside an HTML-like label."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _attrs(**attrs: str | float | None) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        key = key.rstrip("_")
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")  # HTML-like label
        elif isinstance(value, str):
            parts.append(f"{key}={_q(value)}")
        else:
            parts.append(f"{key}={value}")
    return "[" + ", ".join(parts) + "]"


def _parted(a: Task, b: Task) -> tuple[str, str]:
    """The ancestors-or-selves of ``a`` and ``b`` that are siblings: where their paths part."""
    chain_a = [*reversed(list(a.ancestors())), a]
    chain_b = [*reversed(list(b.ancestors())), b]
    for x, y in zip(chain_a, chain_b):
        if x is not y:
            return x.id, y.id
    return a.id, b.id  # one contains the other: graph.build never links those


class _Dot:
    def __init__(self, scene: _Scene, rankdir: str, dpi: int | None = None) -> None:
        self.scene = scene
        self.rankdir = rankdir
        self.dpi = dpi
        self.lines: list[str] = []
        # Tasks that wait for / feed a sibling (same parent and field, or both top-level in the
        # same section), seen at the level where an edge's two ends part.
        self.has_pred: set[str] = set()
        self.has_succ: set[str] = set()
        for link in scene.links:
            if link.kind in ("data", "order"):
                u, v = _parted(scene.tasks[link.source], scene.tasks[link.target])
                self.has_succ.add(u)
                self.has_pred.add(v)

    def render(self) -> str:
        scene = self.scene
        flow = scene.compilation.flow
        assert flow is not None
        out = self.lines
        out.append(f"digraph {_q(flow.id or 'flow')} {{")
        out.append(
            "  graph "
            + _attrs(
                rankdir=self.rankdir,
                compound="true",
                newrank="true",
                dpi=self.dpi,
                fontname=FONT,
                fontsize=12,
                nodesep=0.3,
                ranksep=0.5,
                labelloc="t",
                labeljust="l",
                label=self._title(),
                tooltip=f"{flow.namespace}.{flow.id}",
            )
        )
        out.append(
            "  node "
            + _attrs(fontname=FONT, fontsize=11, style="filled", penwidth=1.2, margin="0.15,0.06")
        )
        out.append(
            "  edge "
            + _attrs(fontname=FONT, fontsize=9, color=EDGE_COLOUR, arrowsize=0.7, penwidth=1.1)
        )
        for input_id, input_type in scene.inputs:
            self._io_node("input", input_id, input_type, INPUT_STYLE)
        if scene.inputs:
            names = " ".join(_q("input:" + i) for i, _ in scene.inputs)
            out.append(f"  {{ rank=min; {names} }}")
        for name, tasks in scene.sections.items():
            if name == "tasks":
                for task in tasks:
                    self._task(task, "  ")
            else:
                self._section(name, tasks)
        for output_id, output_type in scene.outputs:
            self._io_node("output", output_id, output_type, OUTPUT_STYLE)
        if scene.outputs:
            names = " ".join(_q("output:" + o) for o, _ in scene.outputs)
            out.append(f"  {{ rank=max; {names} }}")
        self._section_order()
        for link in scene.links:
            self._link(link)
        out.append("}")
        return "\n".join(out) + "\n"

    def _title(self) -> str:
        scene = self.scene
        flow = scene.compilation.flow
        assert flow is not None
        title = f"<B>{_h(flow.id)}</B>"
        if flow.namespace:
            title += f'  <FONT COLOR="#64748b">{_h(flow.namespace)}</FONT>'
        notes = []
        if scene.selection is not None:
            notes.append(f"selection '{scene.selection}': {scene.selected} of {scene.total} tasks")
        if scene.critical:
            notes.append("critical path in bold")
        if notes:
            title += f'<BR ALIGN="LEFT"/><FONT POINT-SIZE="9" COLOR="#64748b">{_h("; ".join(notes))}</FONT>'
        return f'<{title}<BR ALIGN="LEFT"/>>'

    # nodes --------------------------------------------------------------------------

    def _io_node(self, kind: str, ident: str, type_name: str, style: Style) -> None:
        label = f'<<B>{_h(ident)}</B><BR/><FONT POINT-SIZE="9">{kind}{" · " + _h(type_name.lower()) if type_name else ""}</FONT>>'
        self.lines.append(
            f"  {_q(kind + ':' + ident)} "
            + _attrs(
                id=f"{kind}-{ident}",
                class_=kind,
                shape=style.shape,
                fillcolor=style.fill,
                color=style.border,
                label=label,
                tooltip=f"{kind} '{ident}'" + (f" ({type_name})" if type_name else ""),
            )
        )

    def _task(self, task: Task, indent: str) -> None:
        if task.id in self.scene.clusters:
            self._cluster(task, indent)
            return
        scene = self.scene
        family = scene.family(task)
        style = FAMILY_STYLES[family]
        fill, font = style.fill, "#0f172a"
        lines = [f"<B>{_h(task.id)}</B>", f'<FONT POINT-SIZE="9">{_h(scene.short(task))}</FONT>']
        classes = ["task", family]
        dashed = False
        if scene.states is not None:
            fill, font, extra = self._state(task.id)
            if extra:
                lines.append(f'<FONT POINT-SIZE="9">{_h(extra)}</FONT>')
            dashed = task.id not in scene.states
        critical = task.id in scene.critical
        if critical:
            classes.append("critical")
        styles = ["filled"]
        if style.shape == "box":
            styles.append("rounded")
        if dashed:
            styles.append("dashed")
        self.lines.append(
            f"{indent}{_q(task.id)} "
            + _attrs(
                id=f"task-{task.id}",
                class_=" ".join(classes),
                shape=style.shape,
                style=",".join(styles),
                fillcolor=fill,
                fontcolor=font,
                color=CRITICAL if critical else style.border,
                penwidth=2.6 if critical else None,
                label="<" + "<BR/>".join(lines) + ">",
                tooltip=f"{task.id}: {task.type} (line {task.line})",
            )
        )

    def _state(self, task_id: str) -> tuple[str, str, str]:
        states = self.scene.states or {}
        if task_id not in states:
            return NOT_RUN[0], NOT_RUN[1], "not run"
        state, seconds = states[task_id]
        fill, font = STATE_COLOURS.get(state, ("#ffffff", "#111827"))
        duration = _duration(seconds)
        return fill, font, f"{state} · {duration}" if duration else state

    # clusters -----------------------------------------------------------------------

    def _cluster(self, task: Task, indent: str) -> None:
        scene = self.scene
        out = self.lines
        critical = task.id in scene.critical
        label = f"<B>{_h(task.id)}</B>  {_h(scene.short(task))}"
        hidden = scene.hidden.get(task.id)
        if hidden:
            label += f'  <FONT POINT-SIZE="9" COLOR="#64748b">(+{hidden} not selected)</FONT>'
        fill = "#f8fafc"
        if scene.states is not None:
            fill, _, extra = self._state(task.id)
            fill = _tint(fill, 0.4)  # a cluster is a large area: a light shade of the state
            label += f'  <FONT POINT-SIZE="9">{_h(extra)}</FONT>'
        out.append(f"{indent}subgraph {_q('cluster_' + task.id)} {{")
        inner = indent + "  "
        out.append(
            f"{inner}graph "
            + _attrs(
                id=f"cluster-{task.id}",
                class_="cluster flowable" + (" critical" if critical else ""),
                label=f"<{label}>",
                labeljust="l",
                style="rounded,filled",
                fillcolor=fill,
                color=CRITICAL if critical else "#64748b",
                penwidth=2.6 if critical else 1.2,
                fontsize=11,
                fontcolor="#0f172a",
                tooltip=f"{task.id}: {task.type} (line {task.line})",
            )
        )
        groups: dict[str, list[Task]] = {}
        for child in scene.children[task.id]:
            groups.setdefault(child.field, []).append(child)
        for field_name, members in groups.items():
            if field_name == "tasks" and len(groups) == 1:
                for child in members:
                    self._task(child, inner)
            else:
                name = field_name.replace("cases.", "case ")
                out.append(f"{inner}subgraph {_q(f'cluster_{task.id}/{field_name}')} {{")
                out.append(
                    f"{inner}  graph "
                    + _attrs(
                        id=f"cluster-{task.id}/{field_name}",
                        class_="cluster branch",
                        tooltip=f"{task.id}.{field_name}",
                        label=name,
                        labeljust="l",
                        style="dashed,rounded",
                        color="#94a3b8",
                        penwidth=1,
                        fontsize=9,
                        fontcolor="#475569",
                    )
                )
                for child in members:
                    self._task(child, inner + "  ")
                out.append(f"{inner}}}")
        out.append(f"{indent}}}")

    def _section(self, name: str, tasks: list[Task]) -> None:
        label, border, fill = SECTION_STYLES[name]
        out = self.lines
        out.append(f"  subgraph {_q('cluster_section_' + name)} {{")
        out.append(
            "    graph "
            + _attrs(
                id=f"section-{name}",
                class_="cluster section",
                label=f"<<B>{_h(label)}</B>>",
                labeljust="l",
                style="rounded,filled,dashed",
                color=border,
                fillcolor=fill,
                fontcolor=border,
                fontsize=11,
            )
        )
        for task in tasks:
            self._task(task, "    ")
        out.append("  }")

    def _section_order(self) -> None:
        """Align the tasks that wait for nothing at the left, and put the errors/finally/
        afterExecution clusters after the main tasks (weight 0: they pull nothing)."""
        scene = self.scene
        main = scene.sections.get("tasks", [])
        roots = [e for t in main if t.id not in self.has_pred for e in self._entries(t)]
        if roots:
            self.lines.append("  { rank=same; " + " ".join(map(_q, roots)) + " }")
        later = [scene.sections[name][0] for name in SECTION_STYLES if name in scene.sections]
        if not later:
            return
        firsts = [e for t in later for e in self._entries(t)]
        self.lines.append("  { rank=same; " + " ".join(map(_q, firsts)) + " }")
        sinks = [e for t in main if t.id not in self.has_succ for e in self._exits(t)]
        for sink in sinks:
            for first in firsts:
                self.lines.append(f"  {_q(sink)} -> {_q(first)} [style=invis, weight=0]")

    def _entries(self, task: Task) -> list[str]:
        """The task nodes through which edges enter ``task``: itself, or for a cluster the
        entries of the children that wait for no sibling."""
        if task.id not in self.scene.clusters:
            return [task.id]
        children = self.scene.children[task.id]
        first = [c for c in children if c.id not in self.has_pred] or children
        return [e for child in first for e in self._entries(child)]

    def _exits(self, task: Task) -> list[str]:
        if task.id not in self.scene.clusters:
            return [task.id]
        children = self.scene.children[task.id]
        last = [c for c in children if c.id not in self.has_succ] or children
        return [e for child in last for e in self._exits(child)]

    # edges --------------------------------------------------------------------------

    def _link(self, link: _Link) -> None:
        scene = self.scene
        tooltip = "\n".join(_why(scene, link))
        label = _short_label(link.via) if link.kind != "input" else None
        if link.kind == "input":
            colour = font = INPUT_EDGE_COLOUR
        elif link.kind == "output":
            colour = font = OUTPUT_EDGE_COLOUR
        elif link.critical:
            colour = font = CRITICAL
        else:
            colour = ORDER_COLOUR if link.kind == "order" else EDGE_COLOUR
            font = "#334155"
        attrs = dict(
            id=f"{link.source}->{link.target}",
            class_=link.kind + (" critical" if link.critical else ""),
            style="dashed" if link.kind == "order" else None,
            color=colour,
            fontcolor=font,
            penwidth=2.6 if link.critical else None,
            label=label or None,
            tooltip=tooltip,
            labeltooltip=tooltip if label else None,
            ltail=f"cluster_{link.source}" if link.source in scene.clusters else None,
            lhead=f"cluster_{link.target}" if link.target in scene.clusters else None,
        )
        tails = (
            self._exits(scene.tasks[link.source]) if link.source in scene.tasks else [link.source]
        )
        heads = (
            self._entries(scene.tasks[link.target]) if link.target in scene.tasks else [link.target]
        )
        # The visible edge joins one child of each cluster and is clipped at the cluster's
        # border (compound=true); invisible edges keep the other children on the right side.
        self.lines.append(f"  {_q(tails[0])} -> {_q(heads[0])} {_attrs(**attrs)}")
        if len(tails) * len(heads) <= MAX_LAYOUT_EDGES:
            pairs = [(t, h) for t in tails for h in heads][1:]
        else:
            pairs = [(tails[0], h) for h in heads[1:]] + [(t, heads[0]) for t in tails[1:]]
        self.lines.extend(f"  {_q(t)} -> {_q(h)} [style=invis]" for t, h in pairs)


# --------------------------------------------------------------------------------------
# Mermaid

_MERMAID_UNSAFE = re.compile(r"[\"#<>&|`\[\]{}]")


def _m(text: str) -> str:
    """Text inside a quoted Mermaid label: entity codes for characters Mermaid parses."""
    return _MERMAID_UNSAFE.sub(
        lambda m: "#quot;" if m.group() == '"' else f"#{ord(m.group())};", text
    )


class _Mermaid:
    def __init__(self, scene: _Scene, rankdir: str) -> None:
        self.scene = scene
        self.rankdir = rankdir
        self.lines: list[str] = []
        self.ids: dict[str, str] = {}
        self.used: set[str] = set()
        self.classes: dict[str, list[str]] = {}

    def mid(self, name: str) -> str:
        """A Mermaid-safe node id for an internal name (task id, input:x, output:x)."""
        if name not in self.ids:
            kind, _, rest = (
                name.rpartition(":") if name.startswith(("input:", "output:")) else ("", "", name)
            )
            prefix = {"input": "in_", "output": "out_"}.get(kind, "t_")
            base = prefix + re.sub(r"\W", "_", rest)
            ident, n = base, 2
            while ident in self.used:
                ident, n = f"{base}_{n}", n + 1
            self.used.add(ident)
            self.ids[name] = ident
        return self.ids[name]

    def render(self) -> str:
        scene = self.scene
        out = self.lines
        out.append(f"flowchart {self.rankdir}")
        for input_id, input_type in scene.inputs:
            self._node(
                "input:" + input_id,
                input_id,
                f"input {input_type.lower()}".strip(),
                INPUT_STYLE,
                "input",
                "  ",
            )
        for name, tasks in scene.sections.items():
            if name == "tasks":
                for task in tasks:
                    self._task(task, "  ")
            else:
                out.append(f'  subgraph sec_{name}["{name}"]')
                for task in tasks:
                    self._task(task, "    ")
                out.append("  end")
                self.classes.setdefault(f"section_{name}", []).append(f"sec_{name}")
        for output_id, output_type in scene.outputs:
            self._node(
                "output:" + output_id,
                output_id,
                f"output {output_type.lower()}".strip(),
                OUTPUT_STYLE,
                "output",
                "  ",
            )
        critical_links: list[int] = []
        order_links: list[int] = []
        for index, link in enumerate(scene.links):
            out.append("  " + self._link(link))
            if link.critical:
                critical_links.append(index)
            elif link.kind == "order":
                order_links.append(index)
        # 'critical' last: a later classDef wins where two set the same property.
        for cls, members in sorted(self.classes.items(), key=lambda item: item[0] == "critical"):
            name = cls.replace("-", "_")
            out.append(f"  classDef {name} {self._class_style(cls)}")
            out.append(f"  class {','.join(members)} {name}")
        if critical_links:
            out.append(
                f"  linkStyle {','.join(map(str, critical_links))} stroke:{CRITICAL},stroke-width:3px"
            )
        if order_links:
            out.append(f"  linkStyle {','.join(map(str, order_links))} stroke:{ORDER_COLOUR}")
        return "\n".join(out) + "\n"

    @staticmethod
    def _class_style(cls: str) -> str:
        if cls in FAMILY_STYLES:
            style = FAMILY_STYLES[cls]
            return f"fill:{style.fill},stroke:{style.border},color:#0f172a"
        if cls in ("input", "output"):
            style = INPUT_STYLE if cls == "input" else OUTPUT_STYLE
            return f"fill:{style.fill},stroke:{style.border},color:#0f172a"
        if cls == "critical":
            return f"stroke:{CRITICAL},stroke-width:3px"
        if cls == "notrun":
            return f"fill:{NOT_RUN[0]},stroke:#94a3b8,color:{NOT_RUN[1]},stroke-dasharray:4"
        if cls.startswith("state_"):
            fill, font = STATE_COLOURS[cls.removeprefix("state_").upper()]
            return f"fill:{fill},color:{font}"
        if cls.startswith("section_"):
            _, border, fill = SECTION_STYLES[cls.removeprefix("section_")]
            return f"fill:{fill},stroke:{border},stroke-dasharray:4"
        return "fill:#f8fafc,stroke:#64748b"  # flowable clusters

    def _node(
        self, name: str, title: str, subtitle: str, style: Style, cls: str, indent: str
    ) -> None:
        left, right = style.mermaid
        label = f"<b>{_m(title)}</b><br/>{_m(subtitle)}" if subtitle else f"<b>{_m(title)}</b>"
        ident = self.mid(name)
        self.lines.append(f'{indent}{ident}{left}"{label}"{right}')
        self.classes.setdefault(cls, []).append(ident)

    def _task(self, task: Task, indent: str) -> None:
        scene = self.scene
        if task.id in scene.clusters:
            ident = self.mid(task.id)
            title = f"{task.id} · {scene.short(task)}"
            if task.id in scene.hidden:
                title += f" (+{scene.hidden[task.id]} not selected)"
            self.lines.append(f'{indent}subgraph {ident}["{_m(title)}"]')
            self.lines.append(f"{indent}  direction {self.rankdir}")
            groups: dict[str, list[Task]] = {}
            for child in scene.children[task.id]:
                groups.setdefault(child.field, []).append(child)
            for field_name, members in groups.items():
                if field_name == "tasks" and len(groups) == 1:
                    for child in members:
                        self._task(child, indent + "  ")
                    continue
                sub = self.mid(f"{task.id}/{field_name}")
                name = field_name.replace("cases.", "case ")
                self.lines.append(f'{indent}  subgraph {sub}["{_m(name)}"]')
                for child in members:
                    self._task(child, indent + "    ")
                self.lines.append(f"{indent}  end")
            self.lines.append(f"{indent}end")
            self.classes.setdefault("flowable_cluster", []).append(ident)
            if task.id in scene.critical:
                self.classes.setdefault("critical", []).append(ident)
            return
        subtitle = scene.short(task)
        cls = scene.family(task)
        if scene.states is not None:
            if task.id in scene.states:
                state, seconds = scene.states[task.id]
                duration = _duration(seconds)
                subtitle += f"<br/>{state}" + (f" · {duration}" if duration else "")
                cls = f"state_{state.lower()}" if state in STATE_COLOURS else cls
            else:
                subtitle += "<br/>not run"
                cls = "notrun"
        style = FAMILY_STYLES[scene.family(task)]
        left, right = style.mermaid
        ident = self.mid(task.id)
        label = f"<b>{_m(task.id)}</b><br/>{_m(subtitle).replace('#60;br/#62;', '<br/>')}"
        self.lines.append(f'{indent}{ident}{left}"{label}"{right}')
        self.classes.setdefault(cls, []).append(ident)
        if task.id in scene.critical:
            self.classes.setdefault("critical", []).append(ident)

    def _link(self, link: _Link) -> str:
        arrow = "-.->" if link.kind == "order" else "==>" if link.critical else "-->"
        label = _short_label(link.via) if link.kind != "input" else ""
        text = f'|"{_m(label)}"|' if label else ""
        return f"{self.mid(link.source)} {arrow}{text} {self.mid(link.target)}"


# --------------------------------------------------------------------------------------
# Text


def _text(scene: _Scene) -> str:
    flow = scene.compilation.flow
    assert flow is not None
    out: list[str] = []
    head = f"flow {flow.namespace}.{flow.id}" if flow.namespace else f"flow {flow.id}"
    edges = sum(1 for link in scene.links if link.kind in ("data", "order"))
    if scene.selection is not None:
        count = f"selection '{scene.selection}': {scene.selected} of {scene.total} tasks"
    else:
        count = f"{len(scene.tasks)} tasks"
    out.append(f"{head}: {count}, {edges} edges")

    def describe(task_id: str) -> str:
        task = scene.tasks[task_id]
        text = f"{task_id} ({scene.short(task)})"
        if scene.states is not None:
            state, seconds = scene.states.get(task_id, ("not run", None))
            duration = _duration(seconds)
            text += f" [{state}{' ' + duration if duration else ''}]"
        if task_id in scene.children:
            inner = ", ".join(c.id for c in scene.children[task_id])
            text += f" {{{inner}}}"
        return text

    if scene.inputs:
        out.append("inputs: " + ", ".join(i for i, _ in scene.inputs))
    if scene.layers:
        out.append("layers:")
        width = len(str(len(scene.layers)))
        for number, layer in enumerate(scene.layers, 1):
            out.append(f"  {number:>{width}}  " + "   ".join(describe(t) for t in layer))
    for name, tasks in scene.sections.items():
        if name != "tasks":
            out.append(f"{name}: " + " -> ".join(describe(t.id) for t in tasks))
    nested = [t for t in scene.tasks.values() if t.parent is not None]
    if nested and scene.states is not None:
        out.append("nested:")
        out.extend(f"  {describe(t.id)}" for t in nested if t.id not in scene.children)
    task_links = [link for link in scene.links if link.kind in ("data", "order")]
    if task_links:
        out.append("edges:")
        rows = []
        for link in task_links:
            arrow = "..>" if link.kind == "order" else "-->"
            why = link.label or ("order" if link.kind == "order" else "")
            line = min((v.line for v in link.via), default=None)
            rows.append(
                (
                    f"{link.source} {arrow} {link.target}",
                    why + (f"  (line {line})" if line else ""),
                    "  *" if link.critical else "",
                )
            )
        width = max(len(r[0]) for r in rows)
        out.extend(f"  {a:<{width}}  {b}{c}".rstrip() for a, b, c in rows)
    outputs = [link for link in scene.links if link.kind == "output"]
    if outputs:
        out.append(
            "outputs: "
            + ", ".join(
                f"{o.target.removeprefix('output:')} <- {o.source}.{o.label}" for o in outputs
            )
        )
    if scene.critical:
        plan = scene.compilation.plan
        path = [t for t in (plan.critical_path if plan else ()) if t in scene.tasks]
        out.append("critical path (*): " + " -> ".join(path))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Rendering and writing


def _render(dot: str, fmt: str) -> bytes:
    """DOT -> image bytes through the ``dot`` program."""
    if shutil.which("dot") is None:
        raise DrawError(NO_DOT)
    import graphviz

    try:
        return graphviz.pipe("dot", fmt, dot.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise DrawError(NO_DOT) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        first = next((line for line in stderr.splitlines() if line.strip()), "no message")
        raise DrawError(f"Graphviz's 'dot' failed: {first}") from None


def _write(output: str, data: bytes) -> None:
    """Write ``data`` to ``output`` through a temporary file and a rename: a reader never
    sees a half-written file, and a failure leaves any previous file untouched."""
    path = Path(output)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: never follow or reuse someone else's file; 0o666 minus the umask, as open().
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise DrawError(f"cannot write '{output}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DrawError(f"cannot write '{output}': {exc.strerror or exc}") from None
        raise
