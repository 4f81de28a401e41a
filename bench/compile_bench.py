"""Compile generated flows of 100, 1,000 and 10,000 tasks, and lint the corpus.

Not a test: prints the time per task and per file. Run with ``make bench`` or
``.venv/bin/python bench/compile_bench.py``.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler.lint import LintResult, lint_file  # noqa: E402
from compiler.pipeline import compile_source  # noqa: E402

HEAD = "id: bench\nnamespace: bench.flows\ntasks:\n"


def task(i: int, reads: list[int]) -> str:
    refs = " ".join(f"{{{{ outputs.t{j}.value }}}}" for j in reads) or "start"
    return f'  - id: t{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: "{refs}"\n'


def chain(n: int) -> str:
    return HEAD + "".join(task(i, [i - 1] if i else []) for i in range(n))


def fan_out(n: int) -> str:
    return (
        HEAD
        + task(0, [])
        + "".join(task(i, [0]) for i in range(1, n - 1))
        + task(n - 1, list(range(1, min(n - 1, 50))))
    )


def random_dag(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    return HEAD + "".join(
        task(i, sorted(rng.sample(range(i), min(i, rng.randint(0, 3))))) for i in range(n)
    )


def measure(text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = compile_source(text, "bench.yaml")
        best = min(best, time.perf_counter() - start)
        assert not result.errors, result.errors[:3]
    return best


def main() -> None:
    print(f"{'shape':<10} {'tasks':>7} {'seconds':>9} {'us/task':>9}")
    for shape in (chain, fan_out, random_dag):
        for n in (100, 1_000, 10_000):
            seconds = measure(shape(n), repeat=3 if n < 10_000 else 1)
            print(f"{shape.__name__:<10} {n:>7} {seconds:>9.3f} {seconds / n * 1e6:>9.1f}")
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "public"
    if corpus.is_dir():
        files = sorted(corpus.glob("*.y*ml"))
        result = LintResult()
        start = time.perf_counter()
        for path in files:
            lint_file(path, "data", result)
        seconds = time.perf_counter() - start
        print(
            f"corpus lint: {len(files)} files in {seconds:.2f}s = {seconds / len(files) * 1000:.2f} ms per file"
        )
    else:
        print(f"corpus lint: skipped ({corpus} not present)")


if __name__ == "__main__":
    main()
