"""The namespace KV store as tasks and ``kv()`` see it.

On the driver, :class:`StoreKV` reads and writes the SQLite state store directly. A Dask worker
never touches the state store: it gets a :class:`SnapshotKV` of the namespace, records its
writes as operations, and the driver applies them when the outcome comes back.
"""

from __future__ import annotations

from typing import Any


class StoreKV:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.ops: list[tuple] = []  # always empty: writes go straight to the store

    def get(self, namespace: str, key: str) -> tuple[bool, Any]:
        return self.state.kv_get(namespace, key)

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        overwrite: bool = True,
    ) -> None:
        self.state.kv_set(namespace, key, value, ttl_seconds=ttl_seconds, overwrite=overwrite)

    def delete(self, namespace: str, key: str) -> bool:
        return self.state.kv_delete(namespace, key)

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        return self.state.kv_keys(namespace, prefix)

    def snapshot(self, namespace: str) -> SnapshotKV:
        entries = {namespace: {e["key"]: e["value"] for e in self.state.kv_entries(namespace)}}
        return SnapshotKV(entries)

    def apply(self, op: tuple) -> None:
        kind, namespace, key, *rest = op
        if kind == "set":
            value, ttl, overwrite = rest
            self.set(namespace, key, value, ttl, overwrite)
        elif kind == "delete":
            self.delete(namespace, key)


class SnapshotKV:
    """A picklable copy of some namespaces' keys; writes are recorded in ``ops``."""

    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self.entries = entries
        self.ops: list[tuple] = []

    def get(self, namespace: str, key: str) -> tuple[bool, Any]:
        values = self.entries.get(namespace, {})
        return (key in values, values.get(key))

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        overwrite: bool = True,
    ) -> None:
        values = self.entries.setdefault(namespace, {})
        if not overwrite and key in values:
            from runtime.errors import TaskError

            raise TaskError(
                f"key '{key}' already exists in namespace '{namespace}' and overwrite is false"
            )
        values[key] = value
        self.ops.append(("set", namespace, key, value, ttl_seconds, overwrite))

    def delete(self, namespace: str, key: str) -> bool:
        found = self.entries.get(namespace, {}).pop(key, None) is not None
        self.ops.append(("delete", namespace, key))
        return found

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        return sorted(
            k for k in self.entries.get(namespace, {}) if prefix is None or k.startswith(prefix)
        )
