"""Render 100,000 small templates and print renders per second, with and without the cache.

    .venv/bin/python bench/render_bench.py [--renders N] [--distinct K]

The templates look like task properties of a large flow: ``K`` distinct strings (default
1,000, as in a flow with a thousand tasks) rendered round-robin ``N`` times against a
Kestra-shaped context. "cache" is the default :class:`runtime.templates.Renderer`; "no cache"
parses and compiles every template on every render.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.templates import Renderer  # noqa: E402

SHAPES = (
    "{{{{ outputs.task_{i}.value }}}}",
    "https://api.example.com/items/{{{{ inputs.id }}}}?page={i}",
    "{{{{ outputs.task_{i}.rows | length > 0 ? 'some' : 'none' }}}}",
    "{{{{ inputs.name ?? 'anonymous' }}}}-{i}",
    "{{{{ outputs.task_{i}.value | upper ~ '-' ~ flow.id }}}}",
    "{{% for x in outputs.task_{i}.rows %}}{{{{ x.id }}}},{{% endfor %}}",
    "{{{{ taskrun.value ~ '_' ~ {i} }}}}",
    "plain text without expressions {i}",
)


def make_templates(distinct: int) -> list[str]:
    return [SHAPES[i % len(SHAPES)].format(i=i) for i in range(distinct)]


def make_context(distinct: int) -> dict:
    return {
        "flow": {"id": "bench", "namespace": "company.team"},
        "inputs": {"id": 42, "name": None},
        "taskrun": {"value": "v"},
        "outputs": {
            f"task_{i}": {"value": f"value {i}", "rows": [{"id": 1}, {"id": 2}]}
            for i in range(distinct)
        },
    }


def run(renderer: Renderer, templates: list[str], context: dict, renders: int) -> float:
    start = time.perf_counter()
    count = len(templates)
    for i in range(renders):
        renderer.render(templates[i % count], context)
    return renders / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=1_000)
    args = parser.parse_args()
    templates = make_templates(args.distinct)
    context = make_context(args.distinct)
    cached = run(Renderer(), templates, context, args.renders)
    uncached = run(Renderer(cache_size=0), templates, context, args.renders)
    print(f"{args.renders:,} renders of {args.distinct:,} distinct small templates")
    print(f"  with cache:    {cached:12,.0f} renders/s")
    print(f"  without cache: {uncached:12,.0f} renders/s")
    print(f"  speed-up:      {cached / uncached:12.1f}x")


if __name__ == "__main__":
    main()
