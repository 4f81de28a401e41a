"""The first rows of a stored file, whatever its format (Ion, CSV, JSON lines, JSON, Parquet)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


class PreviewError(Exception):
    pass


def _ion_rows(data: bytes, limit: int) -> list[dict[str, Any]]:
    from runtime.ion import iter_values, to_plain

    rows = []
    for value in iter_values(data):
        plain = to_plain(value)
        rows.append(plain if isinstance(plain, dict) else {"value": plain})
        if len(rows) >= limit:
            break
    return rows


def preview(storage: Any, uri: str, limit: int = 20) -> list[dict[str, Any]]:
    data = storage.read_bytes(uri)
    name = uri.rsplit("/", 1)[-1].lower()
    if name.endswith(".parquet"):
        import polars as pl

        return pl.read_parquet(io.BytesIO(data)).head(limit).to_dicts()
    text = data.decode("utf-8", errors="replace")
    try:
        if name.endswith(".csv"):
            return [dict(r) for _, r in zip(range(limit), csv.DictReader(io.StringIO(text)))]
        if name.endswith(".json"):
            value = json.loads(text)
            rows = value if isinstance(value, list) else [value]
            return [r if isinstance(r, dict) else {"value": r} for r in rows[:limit]]
        if name.endswith((".jsonl", ".ndjson")):
            return [json.loads(line) for line in text.splitlines()[:limit] if line.strip()]
        return _ion_rows(data, limit)
    except Exception as exc:  # a file of another format: say so, no traceback
        raise PreviewError(f"cannot preview {uri}: {type(exc).__name__}: {exc}") from None
