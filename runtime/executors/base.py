"""Executors run task bodies: a tiny interface so the engine does not care where.

``submit(fn, arg)`` returns a :class:`concurrent.futures.Future`; ``fn`` and ``arg`` pickle
(they cross a process boundary on Dask).
"""

from __future__ import annotations

import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class Executor(ABC):
    name: str = "executor"
    #: True when tasks run in this process (they may share the engine's objects).
    local: bool = True

    @abstractmethod
    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future: ...

    def shutdown(self) -> None:  # noqa: B027 - optional
        pass

    def describe(self) -> str:
        return self.name


def worker_name() -> str:
    return f"{socket.gethostname()}/{threading.current_thread().name}"
