"""The default executor: a thread pool in this process (script tasks are subprocesses, so
they still run truly in parallel)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from runtime.executors.base import Executor

DEFAULT_WORKERS = 8


class ThreadExecutor(Executor):
    name = "threads"
    local = True

    def __init__(self, max_workers: int = DEFAULT_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError("--max-workers must be at least 1")
        self.max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="flowc-worker")

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future:
        return self._pool.submit(fn, arg)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return f"threads (max {self.max_workers} at once)"
