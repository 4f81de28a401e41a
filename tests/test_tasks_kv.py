"""KV tasks over a dict-backed store and over the real StateStore (SQLite)."""

from __future__ import annotations

import time

import pytest
from fixtures.context import DictKV, make_context

from runtime.errors import TaskError
from runtime.tasks import implementation

KV = "io.kestra.plugin.core.kv"


def run(type_name: str, props: dict, ctx):
    return implementation(type_name)(props, ctx)


class StateKV:
    """The KV protocol over runtime.state.StateStore, as the engine wires it."""

    def __init__(self, store) -> None:
        self.store = store

    def get(self, namespace, key):
        return self.store.kv_get(namespace, key)

    def set(self, namespace, key, value, ttl_seconds=None, overwrite=True):
        self.store.kv_set(namespace, key, value, ttl_seconds=ttl_seconds, overwrite=overwrite)

    def delete(self, namespace, key):
        return self.store.kv_delete(namespace, key)

    def keys(self, namespace, prefix=None):
        return self.store.kv_keys(namespace, prefix)


@pytest.fixture(params=["dict", "state"])
def kv(request, tmp_path):
    if request.param == "dict":
        return DictKV()
    from runtime.state import StateStore

    store = StateStore(tmp_path / "state.db")
    return StateKV(store)


def test_set_get_delete_get_keys(tmp_path, kv):
    ctx = make_context(tmp_path, kv=kv, variables={"inputs": {"n": 5}})
    assert run(f"{KV}.Set", {"key": "count", "value": "{{ inputs.n }}"}, ctx) == {}
    assert run(f"{KV}.Set", {"key": "config", "value": {"a": [1, "{{ inputs.n }}"]}}, ctx) == {}
    run(f"{KV}.Set", {"key": "other", "value": "x", "namespace": "elsewhere"}, ctx)
    assert run(f"{KV}.Get", {"key": "count"}, ctx) == {"value": 5}  # renderTyped keeps the number
    assert run(f"{KV}.Get", {"key": "config"}, ctx) == {"value": {"a": [1, "5"]}}
    assert run(f"{KV}.GetKeys", {}, ctx) == {"keys": ["config", "count"]}
    assert run(f"{KV}.GetKeys", {"prefix": "cou"}, ctx) == {"keys": ["count"]}
    assert run(f"{KV}.GetKeys", {"namespace": "elsewhere"}, ctx) == {"keys": ["other"]}
    assert run(f"{KV}.Delete", {"key": "count"}, ctx) == {"deleted": True}
    assert run(f"{KV}.Delete", {"key": "count"}, ctx) == {"deleted": False}
    assert run(f"{KV}.Get", {"key": "count"}, ctx) == {}


def test_missing_keys_with_error_on_missing(tmp_path, kv):
    ctx = make_context(tmp_path, kv=kv)
    with pytest.raises(
        TaskError, match="no value found for key 'nope' in namespace 'company.team'"
    ):
        run(f"{KV}.Get", {"key": "nope", "errorOnMissing": True}, ctx)
    with pytest.raises(TaskError, match="no value found"):
        run(f"{KV}.Delete", {"key": "nope", "errorOnMissing": True}, ctx)


@pytest.mark.parametrize(
    ("kv_type", "value", "stored"),
    [
        ("STRING", "42", "42"),
        ("NUMBER", "42.5", 42.5),
        ("BOOLEAN", "TRUE", True),
        ("JSON", '{"a": [1]}', {"a": [1]}),
        ("DATETIME", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"),
        ("DURATION", "PT5M", "PT5M"),
    ],
)
def test_kv_type_conversions(tmp_path, kv, kv_type, value, stored):
    ctx = make_context(tmp_path, kv=kv)
    run(f"{KV}.Set", {"key": "k", "value": value, "kvType": kv_type}, ctx)
    assert run(f"{KV}.Get", {"key": "k"}, ctx) == {"value": stored}


@pytest.mark.parametrize(
    ("kv_type", "value"),
    [("NUMBER", "many"), ("JSON", "{oops"), ("DATETIME", "yesterday"), ("DURATION", "long")],
)
def test_kv_type_mismatch(tmp_path, kv_type, value):
    with pytest.raises(TaskError, match=f"is not a {kv_type}"):
        run(f"{KV}.Set", {"key": "k", "value": value, "kvType": kv_type}, make_context(tmp_path))


def test_overwrite_false_and_ttl(tmp_path, kv):
    ctx = make_context(tmp_path, kv=kv)
    run(f"{KV}.Set", {"key": "once", "value": "1"}, ctx)
    with pytest.raises(TaskError, match="already exists"):
        run(f"{KV}.Set", {"key": "once", "value": "2", "overwrite": False}, ctx)
    run(f"{KV}.Set", {"key": "short", "value": "x", "ttl": "PT0.2S"}, ctx)
    assert run(f"{KV}.Get", {"key": "short"}, ctx) == {"value": "x"}
    time.sleep(0.4)
    assert run(f"{KV}.Get", {"key": "short"}, ctx) == {}


@pytest.mark.parametrize("key", ["", "-x", "a b", "a/b"])
def test_invalid_keys(tmp_path, key):
    with pytest.raises(TaskError, match="is invalid|is required"):
        run(f"{KV}.Set", {"key": key, "value": "v"}, make_context(tmp_path))


def test_no_kv_store_and_missing_value(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="'value' is required"):
        run(f"{KV}.Set", {"key": "k"}, ctx)
    ctx.kv = None
    with pytest.raises(TaskError, match="KV store is not available"):
        run(f"{KV}.Get", {"key": "k"}, ctx)
