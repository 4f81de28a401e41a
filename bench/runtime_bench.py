"""The runtime's own overhead per task: 1,000 no-op tasks (OutputValues) as a chain and as a
fan-out, with the SQLite state store on. Not a test; prints the figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler.pipeline import compile_source  # noqa: E402
from runtime.engine import RunOptions  # noqa: E402
from runtime.runs import open_home, run_flow  # noqa: E402

HEAD = "id: bench\nnamespace: bench.runtime\ntasks:\n"


def task(i: int, reads: str) -> str:
    return f'  - id: t{i}\n    type: io.kestra.plugin.core.output.OutputValues\n    values:\n      v: "{reads}"\n'


def chain(n: int) -> str:
    return HEAD + "".join(
        task(i, f"{{{{ outputs.t{i - 1}.values.v }}}}" if i else "x") for i in range(n)
    )


def fan_out(n: int) -> str:
    return HEAD + task(0, "x") + "".join(task(i, "{{ outputs.t0.values.v }}") for i in range(1, n))


def measure(name: str, text: str, n: int) -> None:
    compilation = compile_source(text, f"{name}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        home = open_home(Path(tmp) / "home")
        start = time.perf_counter()
        report = run_flow(compilation, options=RunOptions(max_workers=8), home=home)
        seconds = time.perf_counter() - start
        home.close()
    assert report.state == "SUCCESS", report.state
    print(f"{name:<8} {n:>6} tasks {seconds:>7.2f}s  {seconds / n * 1000:>6.2f} ms/task")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    measure("chain", chain(n), n)
    measure("fan-out", fan_out(n), n)


if __name__ == "__main__":
    main()
