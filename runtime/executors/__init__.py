"""Executors: where task bodies run (``threads`` here, ``dask`` on a cluster)."""

from runtime.executors.base import Executor, worker_name
from runtime.executors.threads import ThreadExecutor

__all__ = ["Executor", "ThreadExecutor", "worker_name"]
