"""What templates reach during a run: storage files, the KV store, secrets, execution state.

:class:`RunServices` is built for each task attempt and pickles, so it works the same in the
local thread pool and on a Dask worker. Secret values it hands out are remembered so that the
driver masks them in logs and outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.errors import ExpressionError, StorageError
from runtime.filters import DefaultServices


class RunServices(DefaultServices):
    def __init__(
        self,
        *,
        storage: Any,
        kv: Any,
        namespace: str,
        flow_id: str,
        execution_id: str,
        parent_execution_ids: tuple = (),
        task_states: list[dict] | None = None,
        error_logs: list[dict] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(environ)
        self.storage = storage
        self.kv_store = kv
        self.namespace = namespace
        self.flow_id = flow_id
        self.execution_id = execution_id
        self.parent_execution_ids = parent_execution_ids
        self._task_states = task_states or []
        self._error_logs = error_logs or []
        self.revealed: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_environ"] = None  # a worker reads its own environment
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import os

        self.__dict__.update(state)
        if self._environ is None:
            self._environ = os.environ

    # -- files ---------------------------------------------------------------------------

    def _uri(self, path: str, namespace: str | None) -> str:
        ns = namespace or self.namespace
        if path.startswith("kestra://"):
            uri = path
        elif path.startswith("nsfile://") or "://" not in path:
            uri = self.storage.resolve(
                path if path.startswith("nsfile://") else f"nsfile:///{path.lstrip('/')}", ns
            )
        else:
            raise ExpressionError(
                f"cannot read '{path}': only kestra:// URIs and namespace files are allowed"
            )
        if uri.startswith("kestra://") and not self.storage.is_allowed(
            uri, ns, self.flow_id, self.execution_id, self.parent_execution_ids
        ):
            raise ExpressionError(
                f"'{path}' belongs to another execution or namespace: read() may only read this execution's files and namespace files"
            )
        return uri

    def read(self, path: str, namespace: str | None) -> str:
        uri = self._uri(path, namespace)
        try:
            return self.storage.read_text(uri)
        except (StorageError, OSError) as exc:
            raise ExpressionError(f"read('{path}') failed: {exc}") from None

    def file_size(self, path: str, namespace: str | None) -> int:
        try:
            return self.storage.size(self._uri(path, namespace))
        except (StorageError, OSError) as exc:
            raise ExpressionError(f"fileSize('{path}') failed: {exc}") from None

    def file_exists(self, path: str, namespace: str | None) -> bool:
        try:
            return self.storage.exists(self._uri(path, namespace))
        except StorageError:
            return False

    def file_uri(self, path: str, namespace: str | None) -> str:
        return self._uri(path, namespace)

    # -- KV, secrets, state --------------------------------------------------------------

    def kv(self, key: str, namespace: str | None, error_on_missing: bool) -> Any:
        if self.kv_store is None:
            return super().kv(key, namespace, error_on_missing)
        found, value = self.kv_store.get(namespace or self.namespace, key)
        if not found:
            if error_on_missing:
                raise ExpressionError(
                    f"key '{key}' not found in the KV store of namespace '{namespace or self.namespace}'"
                )
            return None
        return value

    def secret(self, key: str, namespace: str | None, subkey: str | None) -> str:
        value = super().secret(key, namespace, subkey)
        if value:
            self.revealed.add(value)
        return value

    def tasks_with_state(self, state: str) -> list[dict]:
        wanted = state.upper()
        return [t for t in self._task_states if t.get("state") == wanted]

    def error_logs(self) -> list[dict]:
        return list(self._error_logs)
