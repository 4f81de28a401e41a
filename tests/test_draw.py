"""Pictures of the task graph (compiler/draw.py): SVG through Graphviz, DOT, Mermaid, text.

The SVG tests read what Graphviz laid out (xml.etree): node ids are ``task-<id>``,
``input-<id>``, ``output-<id>``, clusters ``cluster-<id>`` and ``section-<name>``, edges
``<source>-><target>``; classes say ``data``/``order``/``critical``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from compiler import draw
from compiler.pipeline import compile_flow, compile_source

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "graph"
SEED_3 = ROOT / "examples" / "seed_3_duckdb_docker.yaml"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


# --------------------------------------------------------------------------------------
# helpers: read an SVG that Graphviz wrote


class Svg:
    def __init__(self, path: Path) -> None:
        self.root = ET.parse(path).getroot()
        self.groups = {g.get("id"): g for g in self.root.iter(f"{SVG}g") if g.get("id")}

    def group(self, ident: str) -> ET.Element:
        assert ident in self.groups, f"no element {ident!r} in the SVG"
        return self.groups[ident]

    def classes(self, ident: str) -> set[str]:
        return set((self.group(ident).get("class") or "").split())

    def texts(self, ident: str) -> list[str]:
        return [t.text or "" for t in self.group(ident).iter(f"{SVG}text")]

    def all_texts(self, cls: str) -> list[str]:
        return [
            t.text or ""
            for g in self.root.iter(f"{SVG}g")
            if cls in (g.get("class") or "").split()
            for t in g.iter(f"{SVG}text")
        ]

    def tooltip(self, ident: str) -> str:
        anchor = next(self.group(ident).iter(f"{SVG}a"))
        return anchor.get(f"{XLINK}title") or ""

    def shape(self, ident: str) -> ET.Element:
        """The first drawn outline of a node, edge or cluster (polygon, path, ellipse)."""
        for element in self.group(ident).iter():
            if element.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse"):
                return element
        raise AssertionError(f"{ident!r} has no outline")

    def box(self, ident: str) -> tuple[float, float, float, float]:
        """Bounding box (x0, y0, x1, y1) of a cluster's outline."""
        element = self.shape(ident)
        numbers = [
            float(n)
            for n in re.findall(r"-?\d+(?:\.\d+)?", element.get("points") or element.get("d") or "")
        ]
        xs, ys = numbers[0::2], numbers[1::2]
        return min(xs), min(ys), max(xs), max(ys)

    def centre(self, ident: str) -> tuple[float, float]:
        text = next(self.group(ident).iter(f"{SVG}text"))
        return float(text.get("x")), float(text.get("y"))


def inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y = point
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def svg_of(tmp_path: Path, flow: Path | str, order: str = "data", **options) -> Svg:
    compilation = compile_flow(flow, order) if isinstance(flow, Path) else compile_source(flow)
    out = tmp_path / "graph.svg"
    assert draw.draw(compilation, str(out), **options) is None
    return Svg(out)


# --------------------------------------------------------------------------------------
# the seed's flow 3


@needs_dot
def test_seed_3_renders_to_svg(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, SEED_3)
    for task, short in (("api", "Request"), ("python", "Script"), ("sqlQuery", "Query")):
        assert svg.texts(f"task-{task}") == [task, short]
    edge_labels = svg.all_texts("data")
    assert "body" in edge_labels
    assert "outputFiles['products.csv']" in edge_labels
    assert svg.texts("input-api_url")[0] == "api_url"
    assert "input" in svg.classes("input-api_url")
    # the edges join the right nodes and explain themselves
    assert svg.texts("api->python") == ["body"]
    assert svg.tooltip("api->python") == "line 23: {{ outputs.api.body | jq('.products') | first }}"
    assert svg.tooltip("python->sqlQuery") == (
        "line 31: {{ outputs.python.outputFiles['products.csv'] }}"
    )
    assert svg.tooltip("input:api_url->api") == "line 12: {{ inputs.api_url }}"


@needs_dot
def test_nodes_are_shaped_and_coloured_by_family(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, SEED_3)
    assert {"http", "task"} <= svg.classes("task-api")
    assert "script" in svg.classes("task-python")
    assert "sql" in svg.classes("task-sqlQuery")
    assert svg.shape("task-api").get("fill") == draw.FAMILY_STYLES["http"].fill
    assert svg.shape("task-python").get("fill") == draw.FAMILY_STYLES["script"].fill
    assert svg.shape("task-sqlQuery").tag == f"{SVG}path"  # a cylinder
    assert svg.shape("task-sqlQuery").get("fill") == draw.FAMILY_STYLES["sql"].fill


@needs_dot
@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_bitmap_and_pdf(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"graph{suffix}"
    draw.draw(compile_flow(SEED_3), str(out))
    magic = {".png": b"\x89PNG", ".pdf": b"%PDF"}[suffix]
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


# --------------------------------------------------------------------------------------
# clusters, edges, critical path


@needs_dot
def test_flowables_are_clusters_around_their_children(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, DATA / "flowables.yaml")
    members = {
        "cluster-fanout": ["clean", "audit"],
        "cluster-per_region": ["load"],
        "cluster-check": ["publish", "alert"],
        "cluster-report": ["summarize", "chart", "mail"],
        "cluster-workdir": ["fetch_files", "run_sql"],
        "section-errors": ["notify", "page"],
        "section-finally": ["cleanup"],
    }
    for cluster, tasks in members.items():
        box = svg.box(cluster)
        for task in tasks:
            assert inside(svg.centre(f"task-{task}"), box), f"{task} outside {cluster}"
        for other in ("extract", "day"):
            ident = f"task-{other}" if other != "day" else "input-day"
            assert not inside(svg.centre(ident), box)
    # clusters of one level never overlap
    boxes = [svg.box(c) for c in members]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not overlap(a, b)
    # the cluster label names the flowable and its type
    assert [t.strip() for t in svg.texts("cluster-fanout")[:2]] == ["fanout", "Parallel"]
    assert svg.texts("section-errors")[0] == "errors"


@needs_dot
def test_branches_are_sub_clusters(tmp_path: Path) -> None:
    dot = draw.to_dot(compile_flow(DATA / "flowables.yaml"))
    assert 'subgraph "cluster_check/then"' in dot
    assert 'subgraph "cluster_check/else"' in dot
    nested = draw.to_dot(compile_flow(DATA / "nested.yaml"))
    for name in ("cases.200", "cases.404", "defaults", "tasks", "errors"):
        assert f"cluster_route/{name}" in nested or f"cluster_stages/{name}" in nested
    assert 'label="case 200"' in nested


@needs_dot
def test_edges_to_a_flowable_end_at_its_border(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, DATA / "nested.yaml", order="kestra")
    dot = draw.to_dot(compile_flow(DATA / "nested.yaml", "kestra"))
    # start -> stages (a Sequential): drawn to a child, clipped at the cluster
    line = next(x for x in dot.splitlines() if 'id="start->stages"' in x)
    assert 'lhead="cluster_stages"' in line
    line = next(x for x in dot.splitlines() if 'id="route->done"' in x)
    assert 'ltail="cluster_route"' in line
    box = svg.box("cluster-stages")
    path = svg.shape("start->stages").get("d") or ""
    end = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)][-2:]
    assert abs(end[0] - box[0]) < 12  # the line stops near the left border (arrow head after)
    assert 'compound="true"' in dot


@needs_dot
def test_order_edges_are_dashed_data_edges_solid(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, DATA / "flowables.yaml")
    # Dag dependsOn, and the errors list (runs in order)
    for edge in ("summarize->chart", "chart->mail", "notify->page", "fetch_files->run_sql"):
        assert "order" in svg.classes(edge)
        assert svg.shape(edge).get("stroke-dasharray")
    for edge in ("summarize->mail", "extract->alert"):
        assert "data" in svg.classes(edge)
        assert svg.shape(edge).get("stroke-dasharray") is None
    assert svg.texts("summarize->mail") == ["exitCode"]
    assert svg.texts("summarize->chart") == []  # no 'dependsOn' label: the dash says it
    assert "dependsOn: summarize" in svg.tooltip("summarize->chart")
    assert "the children of 'workdir' (WorkingDirectory) run in order" in svg.tooltip(
        "fetch_files->run_sql"
    )


@needs_dot
def test_critical_path_is_highlighted(tmp_path: Path) -> None:
    compilation = compile_flow(DATA / "flowables.yaml")
    assert compilation.plan is not None
    assert compilation.plan.critical_path == ("extract", "fanout", "per_region")
    svg = svg_of(tmp_path, DATA / "flowables.yaml")
    assert "critical" in svg.classes("task-extract")
    assert "critical" in svg.classes("cluster-fanout")
    assert "critical" in svg.classes("cluster-per_region")
    assert svg.shape("cluster-fanout").get("stroke") == draw.CRITICAL
    for edge in ("extract->clean", "extract->audit", "clean->load"):
        assert "critical" in svg.classes(edge)
        assert svg.shape(edge).get("stroke") == draw.CRITICAL
        assert float(svg.shape(edge).get("stroke-width")) > 2
    for edge in ("extract->alert", "summarize->mail"):
        assert "critical" not in svg.classes(edge)
        assert svg.shape(edge).get("stroke") != draw.CRITICAL
    assert "critical" not in svg.classes("cluster-check")
    assert "critical" not in svg.classes("task-summarize")


@needs_dot
def test_inputs_and_outputs_sit_at_the_edges(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, DATA / "flowables.yaml")
    xs = {g: svg.centre(g)[0] for g in svg.groups if g.startswith("task-")}
    for name in ("input-day", "input-regions"):
        assert svg.centre(name)[0] < min(xs.values())
    assert svg.tooltip("input:regions->per_region") == "line 31: {{ inputs.regions }}"
    assert svg.texts("clean->output:sales") == ["outputFiles['clean.csv']"]
    assert svg.texts("output-summary_code")[0] == "summary_code"
    main = [x for g, x in xs.items() if g[5:] not in ("notify", "page", "cleanup")]
    assert svg.centre("output-summary_code")[0] > min(main)


# --------------------------------------------------------------------------------------
# execution states


STATES = {
    "extract": ("SUCCESS", 0.8),
    "clean": ("SUCCESS", 12.34),
    "audit": ("WARNING", 0.02),
    "load": ("FAILED", 75.0),
    "alert": ("SKIPPED", None),
    "publish": ("RUNNING", 3.2),
    "notify": ("KILLED", 1.0),
    "per_region": ("FAILED", 80.0),
}


@needs_dot
def test_states_colour_tasks_and_show_durations(tmp_path: Path) -> None:
    svg = svg_of(tmp_path, DATA / "flowables.yaml", states=STATES)
    expected = {
        "extract": ("SUCCESS", "SUCCESS · 800 ms"),
        "clean": ("SUCCESS", "SUCCESS · 12.3 s"),
        "audit": ("WARNING", "WARNING · 20 ms"),
        "load": ("FAILED", "FAILED · 1 min 15 s"),
        "alert": ("SKIPPED", "SKIPPED"),
        "publish": ("RUNNING", "RUNNING · 3.2 s"),
        "notify": ("KILLED", "KILLED · 1.0 s"),
    }
    for task, (state, line) in expected.items():
        assert svg.shape(f"task-{task}").get("fill") == draw.STATE_COLOURS[state][0], task
        assert svg.texts(f"task-{task}")[-1] == line
    assert draw.STATE_COLOURS["SUCCESS"][0] == "#86efac"  # green
    assert draw.STATE_COLOURS["FAILED"][0] == "#f87171"  # red
    # a task that did not run: white, dashed, says so
    assert svg.texts("task-summarize")[-1] == "not run"
    assert svg.shape("task-summarize").get("fill") == "#ffffff"
    assert svg.shape("task-summarize").get("stroke-dasharray")
    # a flowable with a state: a light shade on its cluster, the state in its label
    assert "FAILED · 1 min 20 s" in svg.texts("cluster-per_region")
    assert svg.shape("cluster-per_region").get("fill") not in ("#f8fafc", "#ffffff")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (0.004, "<10 ms"),
        (0.25, "250 ms"),
        (9.94, "9.9 s"),
        (125, "2 min 5 s"),
        (7260, "2 h 1 min"),
    ],
)
def test_durations(seconds: float | None, text: str) -> None:
    assert draw._duration(seconds) == text


# --------------------------------------------------------------------------------------
# selection


def test_select_draws_only_the_neighbourhood() -> None:
    compilation = compile_flow(DATA / "flowables.yaml")
    dot = draw.to_dot(compilation, select="+load")
    nodes = set(re.findall(r'id="task-([^"]+)"', dot))
    assert nodes == {"extract", "clean", "load"}
    # the flowables holding them are drawn as context, with what is left out
    assert 'id="cluster-fanout"' in dot and 'id="cluster-per_region"' in dot
    assert "(+1 not selected)" in dot  # audit
    assert 'id="cluster-report"' not in dot and "section-errors" not in dot
    # inputs and outputs touching the selection, and only those
    assert set(re.findall(r'id="(?:input|output)-([^"]+)"', dot)) == {"day", "regions", "sales"}
    assert "selection '+load': 3 of 19 tasks" in dot


def test_selecting_a_flowable_draws_it_whole() -> None:
    dot = draw.to_dot(compile_flow(DATA / "flowables.yaml"), select="report")
    assert set(re.findall(r'id="task-([^"]+)"', dot)) == {"summarize", "chart", "mail"}


def test_select_on_thousands_of_tasks_stays_small() -> None:
    lines = ["id: big", "namespace: bench", "tasks:"]
    for i in range(3000):
        ref = f"{{{{ outputs.t{i - 1}.body }}}}" if i else "x"
        lines += [
            f"  - id: t{i}",
            "    type: io.kestra.plugin.core.http.Request",
            f'    uri: "https://e.com/{ref}"',
        ]
    compilation = compile_source("\n".join(lines) + "\n")
    dot = draw.to_dot(compilation, select="2+t1500+1")
    assert set(re.findall(r'id="task-([^"]+)"', dot)) == {"t1498", "t1499", "t1500", "t1501"}
    assert len(re.findall(r'id="t\d+->t\d+"', dot)) == 3
    whole = draw.to_dot(compilation)
    assert len(re.findall(r'id="task-', whole)) == 3000


def test_bad_selector_is_a_draw_error() -> None:
    compilation = compile_flow(DATA / "flowables.yaml")
    with pytest.raises(draw.DrawError, match=r"unknown task 'laod' .*did you mean 'load'\?"):
        draw.draw(compilation, select="+laod")


# --------------------------------------------------------------------------------------
# Mermaid, checked by parsing its lines

NODE = re.compile(
    r'^(?P<id>[A-Za-z_][\w]*)(?P<open>\[\(|\(\[|\[\[|\[/|\[\\|\{\{|>|\[)"(?P<label>[^"]*)"'
    r"(?P<close>\)\]|\]\)|\]\]|/\]|\\\]|\}\}|\])$"
)
EDGE = re.compile(
    r'^(?P<a>[A-Za-z_]\w*) (?P<arrow>-->|-\.->|==>)(?:\|"(?P<label>[^"]*)"\|)? (?P<b>[A-Za-z_]\w*)$'
)
SUBGRAPH = re.compile(r'^subgraph (?P<id>[A-Za-z_]\w*)\["(?P<label>[^"]*)"\]$')


def parse_mermaid(text: str) -> dict:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "flowchart LR"
    nodes, edges, parents, subgraphs, stack = {}, [], {}, {}, []
    for line in lines[1:]:
        if m := SUBGRAPH.match(line):
            subgraphs[m["id"]] = m["label"]
            parents[m["id"]] = stack[-1] if stack else None
            stack.append(m["id"])
        elif line == "end":
            stack.pop()
        elif line.startswith(("direction ", "classDef ", "class ", "linkStyle ")):
            continue
        elif m := NODE.match(line):
            assert m["id"] not in nodes, f"node {m['id']} defined twice"
            nodes[m["id"]] = (m["open"], m["label"])
            parents[m["id"]] = stack[-1] if stack else None
        elif m := EDGE.match(line):
            edges.append((m["a"], m["arrow"], m["label"], m["b"]))
        else:
            raise AssertionError(f"unparsed Mermaid line: {line!r}")
    assert not stack, "unclosed subgraph"
    for a, _, _, b in edges:
        assert a in nodes or a in subgraphs, a
        assert b in nodes or b in subgraphs, b
    return {"nodes": nodes, "edges": edges, "parents": parents, "subgraphs": subgraphs}


def unescape(label: str) -> str:
    label = label.replace("#quot;", '"')
    return html.unescape(re.sub(r"#(\d+);", r"&#\1;", label))


def test_mermaid_seed_3() -> None:
    chart = parse_mermaid(draw.to_mermaid(compile_flow(SEED_3)))
    assert chart["nodes"]["t_api"] == ("([", "<b>api</b><br/>Request")
    assert chart["nodes"]["t_sqlQuery"] == ("[(", "<b>sqlQuery</b><br/>Query")
    assert chart["nodes"]["in_api_url"][0] == "[/"
    labels = {(a, b): unescape(label or "") for a, _, label, b in chart["edges"]}
    assert labels[("t_api", "t_python")] == "body"
    assert labels[("t_python", "t_sqlQuery")] == "outputFiles['products.csv']"
    assert ("in_api_url", "t_api") in labels


def test_mermaid_clusters_and_dashed_order_edges() -> None:
    text = draw.to_mermaid(compile_flow(DATA / "flowables.yaml"))
    chart = parse_mermaid(text)
    parents = chart["parents"]
    assert parents["t_clean"] == parents["t_audit"] == "t_fanout"
    assert parents["t_publish"] == "t_check_then" and parents["t_check_then"] == "t_check"
    assert parents["t_alert"] == "t_check_else"
    assert parents["t_notify"] == parents["t_page"] == "sec_errors"
    assert chart["subgraphs"]["t_fanout"] == "fanout · Parallel"
    arrows = {(a, b): arrow for a, arrow, _, b in chart["edges"]}
    assert arrows[("t_summarize", "t_chart")] == "-.->"
    assert arrows[("t_notify", "t_page")] == "-.->"
    assert arrows[("t_summarize", "t_mail")] == "-->"
    assert arrows[("t_extract", "t_clean")] == "==>"  # critical path
    # an edge into a flowable goes to its subgraph
    assert ("in_regions", "t_per_region") in arrows
    assert re.search(r"^  class .*\bt_extract\b.* critical$", text, re.M)


def test_mermaid_escapes_awkward_names_and_labels() -> None:
    chart = parse_mermaid(draw.to_mermaid(compile_flow(DATA / "awkward.yaml")))
    ids = set(chart["nodes"])
    assert {"t_end", "t_x_ray", "t_o_task", "in_end", "out_end"} <= ids  # never a bare 'end'
    (label,) = [lbl for a, _, lbl, b in chart["edges"] if (a, b) == ("t_end", "t_x_ray")]
    assert unescape(label) == "outputFiles['we|ird \"name\".csv'] +1"
    assert '"' not in label and "|" not in label


def test_mermaid_states() -> None:
    text = draw.to_mermaid(compile_flow(DATA / "flowables.yaml"), states=STATES)
    chart = parse_mermaid(text)
    assert chart["nodes"]["t_load"][1].endswith("FAILED · 1 min 15 s")
    assert chart["nodes"]["t_summarize"][1].endswith("not run")
    assert re.search(r"^  class t_load state_failed$", text, re.M)
    assert "classDef state_failed fill:#f87171" in text


# --------------------------------------------------------------------------------------
# text


def test_text_lists_layers_and_edges() -> None:
    text = draw.to_text(compile_flow(SEED_3))
    assert text.splitlines() == [
        "flow company.team.getting_started: 3 tasks, 2 edges",
        "inputs: api_url",
        "layers:",
        "  1  api (Request)",
        "  2  python (Script)",
        "  3  sqlQuery (Query)",
        "edges:",
        "  api --> python       body  (line 23)  *",
        "  python --> sqlQuery  outputFiles['products.csv']  (line 31)  *",
        "critical path (*): api -> python -> sqlQuery",
    ]


def test_text_shows_clusters_sections_and_order_edges() -> None:
    text = draw.to_text(compile_flow(DATA / "flowables.yaml"))
    assert "  2  fanout (Parallel) {clean, audit}   check (If) {publish, alert}" in text
    assert "errors: notify (Log) -> page (Request)" in text
    assert re.search(r"^  summarize \.\.> chart +dependsOn  \(line 63\)$", text, re.M)
    assert "outputs: summary_code <- summarize.exitCode" in text


# --------------------------------------------------------------------------------------
# formats, files, errors


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        (None, None, "dot"),
        ("g.svg", None, "svg"),
        ("G.PNG", None, "png"),
        ("g.pdf", None, "pdf"),
        ("g.dot", None, "dot"),
        ("g.gv", None, "dot"),
        ("g.mmd", None, "mermaid"),
        ("g.mermaid", None, "mermaid"),
        ("g.txt", None, "text"),
        ("g.svg", "dot", "dot"),  # an explicit format wins
        (None, "mermaid", "mermaid"),
    ],
)
def test_format_for(output: str | None, fmt: str | None, expected: str) -> None:
    assert draw.format_for(output, fmt) == expected


def test_format_errors() -> None:
    with pytest.raises(draw.DrawError, match="cannot tell the format of 'graph.jpeg'"):
        draw.format_for("graph.jpeg", None)
    with pytest.raises(draw.DrawError, match="unknown format 'gif'"):
        draw.format_for(None, "gif")
    compilation = compile_flow(SEED_3)
    with pytest.raises(draw.DrawError, match=r"^--format svg needs -o FILE$"):
        draw.draw(compilation, fmt="svg")
    with pytest.raises(draw.DrawError, match="unknown rankdir 'XY'"):
        draw.draw(compilation, rankdir="XY")


def test_returns_text_without_output_and_writes_with_one(tmp_path: Path) -> None:
    compilation = compile_flow(SEED_3)
    dot = draw.draw(compilation)
    assert dot is not None and dot.startswith('digraph "getting_started" {')
    assert 'rankdir="LR"' in dot
    assert 'rankdir="TB"' in draw.draw(compilation, rankdir="TB")
    assert draw.draw(compilation, fmt="mermaid").startswith("flowchart LR\n")
    for name in ("g.dot", "g.mmd", "g.txt"):
        assert draw.draw(compilation, str(tmp_path / name)) is None
    assert (tmp_path / "g.dot").read_text() == dot
    assert (tmp_path / "g.txt").read_text().startswith("flow company.team.getting_started")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.mmd", "g.txt"]


def test_a_failed_draw_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "graph.dot"
    out.write_text("old")
    with pytest.raises(draw.DrawError):
        draw.draw(compile_flow(SEED_3), str(out), select="nope")
    assert out.read_text() == "old"
    with pytest.raises(draw.DrawError, match=r"^cannot write '.*missing/graph.dot': "):
        draw.draw(compile_flow(SEED_3), str(tmp_path / "missing" / "graph.dot"))
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]


def test_a_flow_without_graph_is_a_draw_error() -> None:
    compilation = compile_source("just a string\n")
    with pytest.raises(draw.DrawError, match="no task graph to draw"):
        draw.to_dot(compilation)


def test_without_dot_program(tmp_path: Path) -> None:
    """A real subprocess whose PATH has no 'dot': images fail in one line, DOT and Mermaid
    still work."""
    script = f"""
import sys
from compiler import draw
from compiler.pipeline import compile_flow
c = compile_flow({str(SEED_3)!r})
print(draw.draw(c, fmt="dot").splitlines()[0])
print(draw.draw(c, fmt="mermaid").splitlines()[0])
try:
    draw.draw(c, {str(tmp_path / "g.svg")!r})
except draw.DrawError as exc:
    print("DrawError:", exc)
"""
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'digraph "getting_started" {',
        "flowchart LR",
        "DrawError: Graphviz's 'dot' program is not installed: run 'apt-get install graphviz' "
        "(or 'make deps'); DOT and Mermaid output still work (--format dot|mermaid)",
    ]
    assert not (tmp_path / "g.svg").exists()


def test_graphviz_is_imported_lazily() -> None:
    script = "import sys, compiler.draw, compiler.pipeline; print('graphviz' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
