"""ISO-8601 durations (``PT5M``, ``P1D``; a bare number is seconds, as Kestra reads them)."""

from __future__ import annotations

from typing import Any


def seconds(value: Any) -> float:
    """Seconds in a duration; raises ValueError with a clear message."""
    from runtime.runners import RunnerError, parse_duration

    try:
        return parse_duration(value.strip() if isinstance(value, str) else value)
    except RunnerError as exc:
        raise ValueError(str(exc)) from None
