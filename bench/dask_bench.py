"""The local thread executor against dask-local: what running task bodies on Dask costs.

    .venv/bin/python bench/dask_bench.py [--sleepers 64] [--noops 1000] [--workers 2]

Three flows, each run once per executor:

* ``sleep``: ``--sleepers`` independent ``flow.Sleep`` tasks of one second each;
* ``no-op``: ``--noops`` independent ``OutputValues`` tasks (nothing to do: pure overhead);
* ``chain``: the same no-op tasks, each reading the previous one's output (one at a time, so
  every task pays a full round trip to a worker and back).

Both executors get the same number of task slots: threads runs 8 at once, dask-local starts
``--workers`` worker processes with ``8 / workers`` threads each. The cluster's start-up and
shut-down are timed apart from the run. Overhead per task is the slot time a task costs beyond
its own work: ``(run - ideal) * slots / tasks`` for the sleepers (ideal: ``ceil(tasks / slots)``
seconds), ``run / tasks`` for the no-op flows. Not a test; prints the figures.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler.pipeline import compile_source  # noqa: E402
from runtime.engine import RunOptions  # noqa: E402
from runtime.executors import ThreadExecutor  # noqa: E402
from runtime.runs import open_home, run_flow  # noqa: E402

SLOTS = 8
HEAD = "id: bench\nnamespace: bench.dask\ntasks:\n"
SLEEP = "  - id: s{i}\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT1S\n"
NOOP = '  - id: t{i}\n    type: io.kestra.plugin.core.output.OutputValues\n    values:\n      v: "{value}"\n'


def sleepers(n: int) -> str:
    return HEAD + "".join(SLEEP.format(i=i) for i in range(n))


def noops(n: int) -> str:
    return HEAD + "".join(NOOP.format(i=i, value="x") for i in range(n))


def chain(n: int) -> str:
    reads = [f"{{{{ outputs.t{i - 1}.values.v }}}}" if i else "x" for i in range(n)]
    return HEAD + "".join(NOOP.format(i=i, value=v) for i, v in enumerate(reads))


def run_once(text: str, make_executor) -> tuple[float, float, float]:
    """Seconds to set the executor up, to run the flow, and to shut the executor down."""
    compilation = compile_source(text, "bench.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        home = open_home(Path(tmp) / "home")
        try:
            start = time.perf_counter()
            executor = make_executor(home)
            ready = time.perf_counter()
            teardown = _timed_shutdown(executor)
            report = run_flow(
                compilation, options=RunOptions(max_workers=SLOTS), home=home, executor=executor
            )
            done = time.perf_counter()
        finally:
            home.close()
    assert report.state == "SUCCESS", report.tasks[:3]
    return ready - start, done - ready - teardown[0], teardown[0]


def _timed_shutdown(executor) -> list[float]:
    """run_flow shuts the executor down as it ends: time that apart (a LocalCluster's close)."""
    spent = [0.0]
    shutdown = executor.shutdown

    def timed() -> None:
        start = time.perf_counter()
        shutdown()
        spent[0] += time.perf_counter() - start

    executor.shutdown = timed
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sleepers", type=int, default=64)
    parser.add_argument("--noops", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from runtime.executors.dask import DaskExecutor

    threads_per_worker = max(1, SLOTS // args.workers)
    executors = {
        "threads": lambda home: ThreadExecutor(SLOTS),
        "dask-local": lambda home: DaskExecutor.create(
            "dask-local",
            workers=args.workers,
            storage=home.storage,
            threads_per_worker=threads_per_worker,
        ),
    }
    flows = [
        ("sleep 1s", sleepers(args.sleepers), args.sleepers, 1.0),
        ("no-op", noops(args.noops), args.noops, 0.0),
        ("chain", chain(args.noops), args.noops, None),
    ]
    print(
        f"{SLOTS} slots: threads x{SLOTS}; dask-local {args.workers} workers "
        f"x {threads_per_worker} threads"
    )
    print(
        f"{'flow':<9} {'executor':<11} {'tasks':>6} {'setup':>7} {'run':>8} {'teardown':>9} "
        f"{'overhead/task':>14}"
    )
    for name, text, n, work in flows:
        for kind, make in executors.items():
            setup, wall, teardown = run_once(text, make)
            if work:
                ideal = math.ceil(n / SLOTS) * work
                overhead = (wall - ideal) * SLOTS / n
            else:
                overhead = wall / n
            print(
                f"{name:<9} {kind:<11} {n:>6} {setup:>6.2f}s {wall:>7.2f}s {teardown:>8.2f}s "
                f"{overhead * 1000:>11.2f} ms"
            )


if __name__ == "__main__":
    main()
