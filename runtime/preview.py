"""The first rows of a stored file, whatever its format (Ion, CSV, JSON lines, JSON, Parquet)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


class PreviewError(Exception):
    pass


def _ion_rows(text: str, limit: int) -> list[dict[str, Any]]:
    from amazon.ion import simpleion

    values = simpleion.loads(text, single_value=False, parse_eagerly=True)
    rows = []
    for value in values[:limit]:
        rows.append(json.loads(json.dumps(_plain(value), default=str)))
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "ion_type") and value.ion_type is not None:
        name = value.ion_type.name
        if name == "NULL":
            return None
        if name == "DECIMAL":
            return float(value)
    if type(value).__name__ == "Decimal":
        return float(value)
    return value


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
        return _ion_rows(text, limit)
    except Exception as exc:  # a file of another format: say so, no traceback
        raise PreviewError(f"cannot preview {uri}: {type(exc).__name__}: {exc}") from None
