"""Benchmark for ``flowc graph`` on a large generated flow (not a test: it prints figures).

    .venv/bin/python bench/graph_bench.py [--tasks 5000] [--seed 7] [--select "2+t_2500+2"]

Generates a flow of N tasks (HTTP requests, Python scripts, DuckDB queries, logs, and every
50th task a Parallel of 5 children) where each task reads 1-3 outputs of earlier tasks through
``{{ outputs.<id>... }}`` expressions, compiles it, then times:
- the compile (every stage, from YAML text);
- the whole graph to DOT (target < 2 s);
- a selected neighbourhood to SVG through Graphviz's ``dot`` (target < 2 s);
- the same neighbourhood to Mermaid and text.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler import draw  # noqa: E402
from compiler.pipeline import compile_source  # noqa: E402

#: (type, property holding the references, its template, output read by later tasks, extra)
KINDS = (
    ("io.kestra.plugin.core.http.Request", "uri", "https://example.com/{ref}", "body", ""),
    ("io.kestra.plugin.scripts.python.Script", "script", "print({ref})", "vars", ""),
    ("io.kestra.plugin.jdbc.duckdb.Query", "sql", "SELECT '{ref}' AS x", "row", "FETCH_ONE"),
    ("io.kestra.plugin.core.log.Log", "message", "got {ref}", None, ""),
)


def generate_flow(tasks: int, seed: int = 7) -> str:
    """YAML text of a flow with ``tasks`` tasks, each reading outputs of earlier ones."""
    rng = random.Random(seed)
    lines = [
        "id: bench_graph",
        "namespace: bench.graph",
        "inputs:",
        "  - id: base_url",
        "    type: STRING",
        "    defaults: https://example.com",
        "tasks:",
    ]
    producers: list[tuple[str, str]] = []  # (task id, output read from it)
    made = 0

    def task(indent: str, number: int) -> list[str]:
        type_name, prop, template, output, fetch = KINDS[number % len(KINDS)]
        if producers:
            window = producers[-200:]
            picks = rng.sample(window, k=min(len(window), rng.randint(1, 3)))
            ref = " ".join(f"{{{{ outputs.{p}.{o} }}}}" for p, o in picks)
        else:
            ref = "{{ inputs.base_url }}"
        ident = f"t_{number}"
        text = template.format(ref=ref).replace('"', "'")
        if output is not None:
            producers.append((ident, output))
        return [
            f"{indent}- id: {ident}",
            f"{indent}  type: {type_name}",
            f'{indent}  {prop}: "{text}"',
        ] + ([f"{indent}  fetchType: {fetch}"] if fetch else [])

    while made < tasks:
        if made % 50 == 49 and tasks - made >= 6:
            lines += [
                f"  - id: group_{made}",
                "    type: io.kestra.plugin.core.flow.Parallel",
                "    tasks:",
            ]
            made += 1
            for _ in range(5):
                lines += task("      ", made)
                made += 1
        else:
            lines += task("  ", made)
            made += 1
    lines += [
        "outputs:",
        "  - id: last",
        "    type: STRING",
        f'    value: "{{{{ outputs.{producers[-1][0]}.{producers[-1][1]} }}}}"',
    ]
    return "\n".join(lines) + "\n"


def timed(label: str, func, target: float | None = None):
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    verdict = "" if target is None else ("  ok" if seconds < target else f"  OVER {target:g} s")
    print(f"{label:<44} {seconds:8.3f} s{verdict}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--select", default=None, help="selector (default: 2+<middle task>+2)")
    args = parser.parse_args()

    text = timed(
        f"generate {args.tasks} tasks (YAML)", lambda: generate_flow(args.tasks, args.seed)
    )
    print(f"{'':<44} {len(text) / 1e6:8.2f} MB")
    compilation = timed("compile (all stages)", lambda: compile_source(text, "bench.yaml"))
    graph = compilation.graph
    assert graph is not None
    print(
        f"{'':<44} {graph.graph.number_of_nodes()} tasks, {graph.graph.number_of_edges()} edges, "
        f"{len(compilation.diagnostics)} diagnostics"
    )
    dot = timed("whole graph -> DOT", lambda: draw.to_dot(compilation), target=2.0)
    print(f"{'':<44} {len(dot) / 1e6:8.2f} MB of DOT")
    timed("whole graph -> Mermaid", lambda: draw.to_mermaid(compilation))
    timed("whole graph -> text", lambda: draw.to_text(compilation))
    selector = args.select or f"2+t_{args.tasks // 2}+2"
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "neighbourhood.svg"
        timed(
            f"select '{selector}' -> SVG (dot)",
            lambda: draw.draw(compilation, str(out), select=selector),
            target=2.0,
        )
        print(f"{'':<44} {out.stat().st_size / 1e3:8.1f} kB of SVG")
    sub = draw.to_text(compilation, select=selector)
    print(f"{'':<44} {sub.splitlines()[0]}")


if __name__ == "__main__":
    main()
