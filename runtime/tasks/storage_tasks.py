"""Internal-storage tasks: ``io.kestra.plugin.core.storage.*`` (KESTRA.md §2.10).

Each reads ``kestra://`` files (``nsfile://`` too) through the task context's storage and writes
its results as new files under the task run's prefix, named like Java temp files
(``<random><extension>``). Line-based tasks split lines on ``\\n``, ``\\r\\n`` or ``\\r`` as Java's
``readLine`` does. FilterItems and DeduplicateItems read one Ion value per line and evaluate their
expression with the row's fields as variables (over the task's own variables).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.errors import StorageError, TaskError
from runtime.tasks.base import TaskContext
from runtime.tasks.props import Props, truthy
from runtime.tasks.workdir import temp_name

__all__ = ["TASKS"]

STORAGE = "io.kestra.plugin.core.storage"
_EOL = re.compile(r"\r\n|\r|\n")


# --------------------------------------------------------------------------- helpers


def _uri(ctx: TaskContext, p: Props, name: str) -> str:
    value = p.string(name, required=True) or ""
    value = value.strip()
    if not value:
        raise TaskError(f"property '{name}' is empty; expected a 'kestra:///...' URI")
    try:
        return ctx.storage.resolve(value, ctx.namespace)
    except StorageError as exc:
        raise TaskError(f"property '{name}': {exc}") from exc


def _read(ctx: TaskContext, uri: str) -> bytes:
    try:
        return ctx.storage.read_bytes(uri)
    except StorageError as exc:
        raise TaskError(f"cannot read '{uri}': {exc}") from exc


def _extension(uri: str, default: str = ".tmp") -> str:
    name = uri.rsplit("/", 1)[-1]
    return name[name.rindex(".") :] if "." in name else default


def _store(ctx: TaskContext, data: bytes, extension: str | None) -> str:
    path = ctx.working_dir() / temp_name(extension)
    path.write_bytes(data)
    return ctx.put_file(path)


def _lines(text: str) -> list[str]:
    """Java ``BufferedReader.readLine`` lines: no empty last line for a trailing newline."""
    if not text:
        return []
    lines = _EOL.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _charset(p: Props, name: str = "charset") -> str:
    charset = p.string(name, "UTF-8") or "UTF-8"
    try:
        return codecs.lookup(charset).name
    except LookupError:
        raise TaskError(f"property '{name}': unknown charset '{charset}'") from None


def _decode(data: bytes, charset: str, uri: str) -> str:
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        raise TaskError(
            f"'{uri}' is not valid {charset} text: {exc.reason} at byte {exc.start}"
        ) from None


# --------------------------------------------------------------------------- tasks


def write(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    content = p.string("content", required=True) or ""
    extension = p.string("extension", ".ion")
    return {"uri": _store(ctx, content.encode("utf-8"), extension)}


def concat(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    raw = props.get("files")
    if raw is None:
        raise TaskError("property 'files' is required")
    if isinstance(raw, str):
        rendered = p.render(raw)
        try:
            files = json.loads(rendered)
        except ValueError:
            raise TaskError(
                f"property 'files' must be a list of 'kestra://' URIs or a JSON array string (got '{rendered[:80]}')"
            ) from None
        if not isinstance(files, list):
            raise TaskError("property 'files' must render to a JSON array of 'kestra://' URIs")
    elif isinstance(raw, list):
        files = raw
    else:
        raise TaskError(f"invalid 'files' property of type '{type(raw).__name__}': expected a list")
    separator = p.string("separator")
    extension = p.string("extension", ".tmp")
    out = ctx.working_dir() / temp_name(extension)
    with open(out, "wb") as fh:
        for item in files:
            uri = p.render(str(item)).strip()
            try:
                resolved = ctx.storage.resolve(uri, ctx.namespace)
            except StorageError as exc:
                raise TaskError(f"property 'files': {exc}") from exc
            fh.write(_read(ctx, resolved))
            if separator is not None:
                fh.write(separator.encode("utf-8"))
    return {"uri": ctx.put_file(out)}


def split(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    from runtime.runners import RunnerError, parse_bytes

    p = Props(props, ctx)
    uri = _uri(ctx, p, "from")
    separator = p.string("separator", "\n")
    extension = _extension(uri)
    lines = _lines(_decode(_read(ctx, uri), "utf-8", uri))
    chunks: list[list[str]] = []
    if props.get("regexPattern") is not None:
        pattern_text = p.string("regexPattern") or ""
        try:
            pattern = re.compile(pattern_text)
        except re.error as exc:
            raise TaskError(f"property 'regexPattern' is not a valid regex: {exc}") from None
        groups: dict[str, list[str]] = {}
        for line in lines:
            m = pattern.search(line)
            if m and m.groups():
                groups.setdefault(m.group(1), []).append(line)
        chunks = list(groups.values())
    elif props.get("bytes") is not None:
        try:
            limit = parse_bytes(p.string("bytes"), "property 'bytes'")
        except RunnerError as exc:
            raise TaskError(str(exc)) from None
        if limit <= 0:
            raise TaskError("property 'bytes' must be positive")
        size = 0
        for line in lines:
            if not chunks or size >= limit:
                chunks.append([])
                size = 0
            chunks[-1].append(line)
            size += len((line + separator).encode("utf-8"))
    elif props.get("partitions") is not None:
        count = p.integer("partitions", minimum=1) or 1
        parts: list[list[str]] = [[] for _ in range(count)]
        for i, line in enumerate(lines):
            parts[i % count].append(line)
        chunks = [part for part in parts if part]
    elif props.get("rows") is not None:
        rows = p.integer("rows", minimum=1) or 1
        chunks = [lines[i : i + rows] for i in range(0, len(lines), rows)]
    else:
        raise TaskError(
            "set one of 'bytes', 'partitions', 'rows' (or 'regexPattern') to split a file"
        )
    uris = [
        _store(ctx, "".join(line + separator for line in chunk).encode("utf-8"), extension)
        for chunk in chunks
    ]
    return {"uris": uris}


def size(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    uri = _uri(ctx, p, "uri")
    try:
        return {"size": ctx.storage.size(uri)}
    except StorageError as exc:
        raise TaskError(f"cannot read the size of '{uri}': {exc}") from exc


def delete(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    uri = _uri(ctx, p, "uri")
    error_on_missing = p.boolean("errorOnMissing", False)
    try:
        deleted = ctx.storage.delete(uri)
    except StorageError as exc:
        raise TaskError(f"cannot delete '{uri}': {exc}") from exc
    if not deleted and error_on_missing:
        raise TaskError(f"unable to find file '{uri}' (errorOnMissing is true)")
    return {"uri": uri, "deleted": deleted}


def reverse(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    uri = _uri(ctx, p, "from")
    separator = p.string("separator", "\n")
    charset = _charset(p)
    lines = _lines(_decode(_read(ctx, uri), charset, uri))
    data = "".join(line + separator for line in reversed(lines)).encode(charset)
    return {"uri": _store(ctx, data, _extension(uri))}


def _rows(ctx: TaskContext, uri: str) -> Iterator[tuple[str, Any]]:
    """(line, plain value) for each non-blank line of an Ion file."""
    from runtime.ion import loads_line, to_plain

    text = _decode(_read(ctx, uri), "utf-8", uri)
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            value = to_plain(loads_line(line))
        except Exception as exc:
            raise TaskError(f"line {number} of '{uri}' is not an Ion value: {exc}") from None
        yield line, value


def _row_vars(value: Any, uri: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TaskError(
            f"'{uri}' holds a {type(value).__name__}, not a struct per line; "
            "expressions read a row's fields by name"
        )
    return value


def filter_items(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    uri = _uri(ctx, p, "from")
    condition = props.get("filterCondition")
    if condition is None:
        raise TaskError("property 'filterCondition' is required")
    condition = str(condition)
    filter_type = p.choice("filterType", ("INCLUDE", "EXCLUDE"), "INCLUDE")
    on_error = p.choice("errorOrNullBehavior", ("FAIL", "INCLUDE", "EXCLUDE"), "FAIL")
    kept: list[str] = []
    processed = dropped = 0
    for line, value in _rows(ctx, uri):
        row = _row_vars(value, uri)
        action = filter_type
        try:
            rendered = ctx.render(condition, row)
            match: bool | None = None if rendered is None else truthy(rendered.strip())
            error: Exception | None = None
        except Exception as exc:  # an expression error on this item
            match, error = None, exc
        if match is None:
            if on_error == "FAIL":
                if error is not None:
                    raise TaskError(f"filterCondition failed on item `{line}`: {error}") from None
                raise TaskError(f"expression `{condition}` returned null on item `{line}`")
            action = on_error
            match = True
        if not match:
            action = "EXCLUDE" if action == "INCLUDE" else "INCLUDE"
        if action == "INCLUDE":
            kept.append(line)
        else:
            dropped += 1
        processed += 1
    data = "".join(line + "\n" for line in kept).encode("utf-8")
    return {
        "uri": _store(ctx, data, ".ion"),
        "processedItemsTotal": processed,
        "droppedItemsTotal": dropped,
    }


def deduplicate_items(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    uri = _uri(ctx, p, "from")
    expr = props.get("expr")
    if expr is None:
        raise TaskError("property 'expr' is required")
    expr = str(expr)
    rows = []
    for line, value in _rows(ctx, uri):
        try:
            key = ctx.render(expr, _row_vars(value, uri))
        except TaskError:
            raise
        except Exception as exc:
            raise TaskError(f"expr failed on item `{line}`: {exc}") from None
        rows.append((key, line))
    last = {key: i for i, (key, _) in enumerate(rows)}  # the last item of each key wins
    kept = [line for i, (key, line) in enumerate(rows) if last[key] == i]
    data = "".join(line + "\n" for line in kept).encode("utf-8")
    return {
        "uri": _store(ctx, data, ".ion"),
        "numKeys": len(last),
        "processedItemsTotal": len(rows),
        "droppedItemsTotal": len(rows) - len(kept),
    }


def purge_current_execution_files(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    try:
        prefix = ctx.storage.execution_prefix(ctx.namespace, ctx.flow_id, ctx.execution_id)
        uris = ctx.storage.delete_prefix(prefix)
    except StorageError as exc:
        raise TaskError(f"cannot purge the execution's files: {exc}") from exc
    return {"uris": uris}


def local_files(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """Deprecated ``LocalFiles``: ``inputs`` written to the working dir, ``outputs`` globs stored."""
    from runtime.tasks.workdir import collect_output_files, input_files_map, write_input_files

    p = Props(props, ctx)
    workdir: Path = ctx.working_dir()
    write_input_files(ctx, workdir, input_files_map(p, "inputs"))
    patterns = p.list("outputs") or []
    return {"uris": collect_output_files(ctx, workdir, patterns, strict=False)}


TASKS = {
    f"{STORAGE}.Write": write,
    f"{STORAGE}.Concat": concat,
    f"{STORAGE}.Split": split,
    f"{STORAGE}.Size": size,
    f"{STORAGE}.Delete": delete,
    f"{STORAGE}.Reverse": reverse,
    f"{STORAGE}.FilterItems": filter_items,
    f"{STORAGE}.DeduplicateItems": deduplicate_items,
    f"{STORAGE}.LocalFiles": local_files,
    f"{STORAGE}.PurgeCurrentExecutionFiles": purge_current_execution_files,
}
