"""Namespace key-value store tasks: ``io.kestra.plugin.core.kv.{Set, Get, Delete, GetKeys}``.

They go through ``ctx.kv`` (the :class:`~runtime.tasks.base.KV` protocol the engine provides).
``namespace`` defaults to the flow's namespace. Keys follow Kestra's rule: a letter or digit
first, then letters, digits, ``.``, ``-``, ``_`` (``KVStore.validateKey``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from runtime.errors import TaskError
from runtime.tasks.base import KV, TaskContext
from runtime.tasks.props import Props, parse_duration

__all__ = ["TASKS"]

KVNS = "io.kestra.plugin.core.kv"
_KEY = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


def _store(ctx: TaskContext) -> KV:
    if ctx.kv is None:
        raise TaskError("the KV store is not available in this run")
    return ctx.kv


def _namespace(ctx: TaskContext, p: Props) -> str:
    ns = p.string("namespace")
    return ns.strip() if ns and ns.strip() else ctx.namespace


def _key(p: Props, required: bool = True) -> str:
    key = (p.string("key", required=required) or "").strip()
    if not _KEY.match(key):
        raise TaskError(
            f"key '{key}' is invalid: it must start with a letter or a digit and hold only "
            "letters, digits, '.', '-' and '_'"
        )
    return key


def _typed(value: Any, kv_type: str | None) -> Any:
    """Kestra's ``Set``: a string value converted per ``kvType``."""
    if kv_type is None or not isinstance(value, str):
        return value
    try:
        if kv_type == "NUMBER":
            number = json.loads(value)
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError("not a number")
            return number
        if kv_type == "BOOLEAN":
            return value.strip().lower() == "true"
        if kv_type in ("DATETIME", "DATE"):
            text = value.strip()
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError("an instant needs a time zone offset such as 'Z'")
            return text
        if kv_type == "DURATION":
            parse_duration(value, "value")
            return value.strip()
        if kv_type == "JSON":
            return json.loads(value)
    except TaskError:
        raise TaskError(f"value '{value}' is not a {kv_type} (kvType)") from None
    except ValueError as exc:
        raise TaskError(f"value '{value}' is not a {kv_type} (kvType): {exc}") from None
    return value


def kv_set(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    store = _store(ctx)
    namespace = _namespace(ctx, p)
    key = _key(p)
    if "value" not in props:
        raise TaskError("property 'value' is required")
    raw = props.get("value")
    value = p.render_typed(raw) if isinstance(raw, str) else p.render(raw)
    kv_type = p.choice("kvType", KV_TYPES)
    value = _typed(value, kv_type)
    ttl = p.duration("ttl")
    if ttl is not None and ttl <= 0:
        raise TaskError(f"property 'ttl' must be positive (got {ttl:g}s)")
    overwrite = p.boolean("overwrite", True)
    try:
        store.set(namespace, key, value, ttl_seconds=ttl, overwrite=overwrite)
    except TaskError:
        raise
    except Exception as exc:
        if not overwrite:
            raise TaskError(
                f"key '{key}' already exists in namespace '{namespace}' and overwrite is false"
            ) from exc
        raise TaskError(f"cannot set key '{key}' in namespace '{namespace}': {exc}") from exc
    return {}


def kv_get(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    store = _store(ctx)
    namespace = _namespace(ctx, p)
    key = _key(p)
    found, value = store.get(namespace, key)
    if not found:
        if p.boolean("errorOnMissing", False):
            raise TaskError(
                f"no value found for key '{key}' in namespace '{namespace}' and `errorOnMissing` "
                "is set to true"
            )
        return {}
    return {} if value is None else {"value": value}


def kv_delete(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    store = _store(ctx)
    namespace = _namespace(ctx, p)
    key = _key(p)
    deleted = bool(store.delete(namespace, key))
    if not deleted and p.boolean("errorOnMissing", False):
        raise TaskError(
            f"no value found for key '{key}' in namespace '{namespace}' and `errorOnMissing` is set to true"
        )
    return {"deleted": deleted}


def kv_get_keys(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    p = Props(props, ctx)
    store = _store(ctx)
    namespace = _namespace(ctx, p)
    prefix = p.string("prefix") or None
    keys = store.keys(namespace, prefix)
    if prefix:
        keys = [k for k in keys if k.startswith(prefix)]
    return {"keys": sorted(keys)}


TASKS = {
    f"{KVNS}.Set": kv_set,
    f"{KVNS}.Get": kv_get,
    f"{KVNS}.Delete": kv_delete,
    f"{KVNS}.GetKeys": kv_get_keys,
}
