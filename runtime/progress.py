"""Live progress for ``flowc run``: a line per running task on a terminal (rich), plain
timestamped lines otherwise (CI logs, pipes)."""

from __future__ import annotations

import sys
import threading
import time
from typing import IO


def _name(task_id: str, values: tuple[str, ...]) -> str:
    return task_id + "".join(f"[{v}]" for v in values)


class PlainProgress:
    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.starts: dict[str, float] = {}
        self.lock = threading.Lock()

    def started(self, task_id: str, values: tuple[str, ...]) -> None:
        name = _name(task_id, values)
        with self.lock:
            self.starts[name] = time.monotonic()
            print(f"{time.strftime('%H:%M:%S')} start   {name}", file=self.stream, flush=True)

    def finished(self, task_id: str, values: tuple[str, ...], state: str) -> None:
        name = _name(task_id, values)
        with self.lock:
            self.done += 1
            took = time.monotonic() - self.starts.pop(name, time.monotonic())
            print(
                f"{time.strftime('%H:%M:%S')} {state.lower():<8}{name} ({took:.2f}s) [{self.done}/{self.total}]",
                file=self.stream,
                flush=True,
            )

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LiveProgress(PlainProgress):
    """rich's Live display: running tasks with their elapsed time, and done/total."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=True)
        self.live = Live(
            console=self.console, refresh_per_second=8, transient=True, get_renderable=self._render
        )

    def _render(self):
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        with self.lock:
            running = sorted(self.starts.items(), key=lambda kv: kv[1])
            done = self.done
        for name, start in running[:20]:
            table.add_row("[blue]running[/]", name, f"{now - start:5.1f}s")
        if len(running) > 20:
            table.add_row("", f"... and {len(running) - 20} more", "")
        table.add_row("", f"[bold]{done}/{self.total} done[/]", "")
        return table

    def started(self, task_id: str, values: tuple[str, ...]) -> None:
        with self.lock:
            self.starts[_name(task_id, values)] = time.monotonic()

    def finished(self, task_id: str, values: tuple[str, ...], state: str) -> None:
        name = _name(task_id, values)
        colour = {
            "SUCCESS": "green",
            "FAILED": "red",
            "WARNING": "yellow",
            "SKIPPED": "grey50",
            "KILLED": "red",
        }.get(state, "white")
        with self.lock:
            self.done += 1
            took = time.monotonic() - self.starts.pop(name, time.monotonic())
        self.console.print(f"[{colour}]{state.lower():<8}[/] {name} ({took:.2f}s)")

    def __enter__(self) -> LiveProgress:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()


def progress_for(total: int, quiet: bool = False):
    if quiet:
        return None
    if sys.stderr.isatty():
        return LiveProgress(total)
    return PlainProgress(total)
