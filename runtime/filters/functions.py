"""Global functions: Pebble's ``range``/``min``/``max`` and Kestra's functions.

Functions that need the run (storage, KV, secrets, logs, the variables) are ``@pass_context``
and go through ``ctx.services`` (see ``runtime.filters.services``).
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

from runtime.errors import ExpressionError, SandboxError
from runtime.filters._base import MISSING, fail, need, pass_context, want_bool, want_str
from runtime.filters.services import EvalContext
from runtime.values import gt, is_number, java_hashmap, java_str, lt, type_name

K = "function"

MAX_RANGE = 100_000  # items; Kestra develop bounds range() at 1,000,000


def fn_range(start: Any = None, end: Any = None, increment: Any = None) -> list[Any]:
    """``range(start, end, increment=1)``: inclusive of ``end``; numbers or single characters."""
    if increment is None:
        step = 1
    elif is_number(increment):
        step = int(increment)
    else:
        raise fail(K, "range", f"needs a number for 'increment', got {type_name(increment)}")
    if is_number(start) and is_number(end):
        first, last = int(start), int(end)
    elif isinstance(start, str) and isinstance(end, str):
        if len(start) != 1 or len(end) != 1:
            raise fail(K, "range", "needs numbers, or strings of one character")
        first, last = ord(start), ord(end)
    else:
        raise fail(K, "range", "needs numbers, or strings of one character")
    if step == 0:
        raise fail(K, "range", "needs an increment different from 0")
    size = max(0, (last - first) // step + 1)
    if size > MAX_RANGE:
        raise SandboxError(
            f"range({first}, {last}, {step}) would produce {size} items; the limit is {MAX_RANGE}"
        )
    numbers = range(first, last + (1 if step > 0 else -1), step)
    if isinstance(start, str):
        return [chr(n) for n in numbers]
    return list(numbers)


def _extreme(args: tuple[Any, ...], better) -> Any:
    best = None
    for candidate in args:
        if best is None or better(candidate, best):
            best = candidate
    return best


def fn_max(*args: Any) -> Any:
    """The largest argument (numbers compared by value; the argument itself is returned)."""
    return _extreme(args, gt)


def fn_min(*args: Any) -> Any:
    """The smallest argument."""
    return _extreme(args, lt)


def fn_randomInt(lower: Any = None, upper: Any = None) -> int:
    """``randomInt(lower, upper)``: ``lower <= n < upper``."""
    low = _int_arg(lower, "randomInt", "lower")
    high = _int_arg(upper, "randomInt", "upper")
    if high < low:
        raise fail(K, "randomInt", f"needs 'upper' ({high}) at least 'lower' ({low})")
    return math.floor(random.random() * (high - low)) + low


def _int_arg(value: Any, name: str, arg: str) -> int:
    if value is None:
        raise fail(K, name, f"needs the argument '{arg}'")
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(K, name, f"expects an integer for '{arg}', got {type_name(value)}")
    return value


def fn_randomPort() -> int:
    """A currently free TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


def fn_uuid() -> str:
    """A random UUID (version 4)."""
    return str(uuid.uuid4())


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int = 0) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0") or "0"


def fn_id() -> str:
    """A short random id: a random UUID in base 62 (Kestra's ``IdUtils.create``)."""
    return _base62(uuid.uuid4().int)


def fn_ksuid() -> str:
    """A KSUID: 27 base-62 characters, sortable by creation second."""
    stamp = int(time.time()) - 1_400_000_000
    payload = stamp.to_bytes(4, "big") + os.urandom(16)
    return _base62(int.from_bytes(payload, "big"), 27)


# --- run services ---------------------------------------------------------------------------------


def _path(path: Any, name: str) -> str:
    if path is None:
        raise fail(K, name, "needs the argument 'path', a kestra:/// URI or a namespace file path")
    return java_str(path)


def _namespace(namespace: Any, name: str) -> str | None:
    return None if namespace is None else want_str(namespace, K, name, "namespace")


@pass_context
def fn_read(ctx: EvalContext, path: Any = None, namespace: Any = None) -> str:
    """``read(path, namespace)``: a file's content as UTF-8 text."""
    return ctx.services.read(_path(path, "read"), _namespace(namespace, "read"))


@pass_context
def fn_fileSize(ctx: EvalContext, path: Any = None, namespace: Any = None) -> int:
    return ctx.services.file_size(_path(path, "fileSize"), _namespace(namespace, "fileSize"))


@pass_context
def fn_fileExists(ctx: EvalContext, path: Any = None, namespace: Any = None) -> bool:
    return ctx.services.file_exists(_path(path, "fileExists"), _namespace(namespace, "fileExists"))


@pass_context
def fn_isFileEmpty(ctx: EvalContext, path: Any = None, namespace: Any = None) -> bool:
    size = ctx.services.file_size(_path(path, "isFileEmpty"), _namespace(namespace, "isFileEmpty"))
    return size == 0


@pass_context
def fn_fileURI(ctx: EvalContext, path: Any = None, namespace: Any = None) -> str:
    """The ``kestra:///`` URI of a namespace file."""
    text = _path(path, "fileURI")
    if "../" in text:
        raise fail(K, "fileURI", f"refuses a path containing '../': '{text}'")
    return ctx.services.file_uri(text, _namespace(namespace, "fileURI"))


@pass_context
def fn_secret(ctx: EvalContext, key: Any = None, namespace: Any = None, subkey: Any = None) -> str:
    """``secret(key, namespace, subkey)``: the secret's value (masked by the runtime)."""
    name = want_str(need(key, K, "secret", "key"), K, "secret", "key")
    sub = None if subkey is None else want_str(subkey, K, "secret", "subkey")
    return ctx.services.secret(name, _namespace(namespace, "secret"), sub)


@pass_context
def fn_kv(
    ctx: EvalContext, key: Any = None, namespace: Any = None, errorOnMissing: Any = None
) -> Any:
    """``kv(key, namespace, errorOnMissing=true)``: a value of the KV store."""
    name = want_str(need(key, K, "kv", "key"), K, "kv", "key")
    strict = (
        True if errorOnMissing is None else want_bool(errorOnMissing, K, "kv", "errorOnMissing")
    )
    return ctx.services.kv(name, _namespace(namespace, "kv"), strict)


@pass_context
def fn_tasksWithState(ctx: EvalContext, state: Any = None) -> list[dict]:
    """``tasksWithState(state)``: ``[{taskId, state[, value]}]`` from the ``tasks`` variable."""
    wanted = want_str(need(state, K, "tasksWithState", "state"), K, "tasksWithState", "state")
    tasks = ctx.variables.get("tasks")
    if not isinstance(tasks, Mapping):
        return ctx.services.tasks_with_state(wanted.upper())
    wanted = wanted.upper()
    found: list[dict] = []
    for task_id, details in tasks.items():
        if not isinstance(details, Mapping):
            continue
        for key, item in details.items():
            if key == "state" and isinstance(item, str):
                if item.upper() == wanted:
                    found.append({"taskId": task_id, "state": wanted})
            elif (
                isinstance(item, Mapping)
                and isinstance(item.get("state"), str)
                and item["state"].upper() == wanted
            ):
                found.append({"taskId": task_id, "state": wanted, "value": key})
    return found


@pass_context
def fn_errorLogs(ctx: EvalContext) -> list[dict]:
    """The execution's ERROR log entries (each with ``taskId``, ``message``...)."""
    return ctx.services.error_logs()


@pass_context
def fn_currentEachOutput(ctx: EvalContext, outputs: Any = None) -> Any:
    """``currentEachOutput(outputs.t)``: the output of ``t`` for the current loop iteration.

    Walks ``parents`` (outermost first) and then ``taskrun.value`` into the nested outputs.
    """
    if outputs is None:
        raise fail(K, "currentEachOutput", "needs the argument 'outputs', like outputs.my_task")
    if not isinstance(outputs, Mapping):
        raise fail(K, "currentEachOutput", f"expects a map, got {type_name(outputs)}")
    current: Any = outputs
    values = []
    for parent in reversed(list(ctx.variables.get("parents") or [])):
        taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
        if isinstance(taskrun, Mapping):
            values.append(taskrun.get("value"))
    taskrun = ctx.variables.get("taskrun")
    values.append(taskrun.get("value") if isinstance(taskrun, Mapping) else None)
    for value in values:
        if not isinstance(current, Mapping) or value not in current:
            raise ExpressionError(
                f"function 'currentEachOutput' found no output for the loop value '{value}'; "
                "is the task inside the same loop?"
            )
        current = current[value]
    return current


def _visible(variables: Mapping[str, Any]) -> dict:
    return java_hashmap(
        (k, v) for k, v in variables.items() if not k.startswith("_") and not callable(v)
    )


@pass_context
def fn_printContext(ctx: EvalContext) -> dict:
    """The whole render context (internal entries and secrets excluded)."""
    return _visible(ctx.variables)


def _render_object(ctx: EvalContext, value: Any, recursive: bool) -> Any:
    if isinstance(value, str):
        return ctx.render(value, recursive)
    if isinstance(value, Mapping):
        return {
            _render_object(ctx, k, recursive): _render_object(ctx, v, recursive)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_render_object(ctx, v, recursive) for v in value]
    return value


@pass_context
def fn_render(ctx: EvalContext, toRender: Any = MISSING, recursive: Any = None) -> Any:
    """``render(toRender, recursive=true)``: renders a string (or the strings of a map/list)."""
    if toRender is MISSING:
        raise fail(K, "render", "needs the argument 'toRender'")
    deep = True if recursive is None else want_bool(recursive, K, "render", "recursive")
    return _render_object(ctx, toRender, deep)


@pass_context
def fn_renderOnce(ctx: EvalContext, toRender: Any = MISSING) -> Any:
    """``renderOnce(toRender)``: ``render`` without recursion."""
    if toRender is MISSING:
        raise fail(K, "renderOnce", "needs the argument 'toRender'")
    return _render_object(ctx, toRender, False)


# --- encryption (Kestra's EncryptionService: AES/GCM, IV prefixed, base64) ----------------------


def _aes(key: Any, name: str):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    text = want_str(need(key, K, name, "key"), K, name, "key")
    try:
        raw = base64.b64decode(text, validate=True)
        return AESGCM(raw)
    except (binascii.Error, ValueError) as exc:
        raise fail(K, name, f"needs a base64 AES key of 16, 24 or 32 bytes: {exc}") from None


def fn_encrypt(key: Any = None, plaintext: Any = None) -> Any:
    """``encrypt(key, plaintext)``: AES-GCM, the random IV prefixed, base64."""
    text = want_str(need(plaintext, K, "encrypt", "plaintext"), K, "encrypt", "plaintext")
    cipher = _aes(key, "encrypt")
    if not text:
        return text
    iv = os.urandom(12)
    return base64.b64encode(iv + cipher.encrypt(iv, text.encode("utf-8"), None)).decode("ascii")


def fn_decrypt(key: Any = None, encrypted: Any = None) -> Any:
    """``decrypt(key, encrypted)``: the inverse of ``encrypt``."""
    text = want_str(need(encrypted, K, "decrypt", "encrypted"), K, "decrypt", "encrypted")
    cipher = _aes(key, "decrypt")
    if not text:
        return text
    try:
        raw = base64.b64decode(text, validate=True)
        return cipher.decrypt(raw[:12], raw[12:], None).decode("utf-8", errors="replace")
    except Exception as exc:  # InvalidTag, binascii.Error
        raise fail(K, "decrypt", f"cannot decrypt the value: {type(exc).__name__}") from None


def fn_http(
    uri: Any = None,
    method: Any = None,
    query: Any = None,
    body: Any = None,
    contentType: Any = None,
    headers: Any = None,
    options: Any = None,
    accept: Any = None,
) -> Any:
    """``http(uri, method='GET', ...)``: the response body, parsed when it is JSON."""
    import httpx

    from runtime.values import to_json

    target = java_str(need(uri, K, "http", "uri"))
    verb = "GET" if method is None else java_str(method).upper()
    content_type = "application/json" if contentType is None else java_str(contentType)
    request_headers = {
        str(k): (v if isinstance(v, str) else ",".join(map(java_str, v)))
        for k, v in (headers or {}).items()
        if str(k).lower() != "content-type"
    }
    request_headers["Accept"] = "application/json" if accept is None else java_str(accept)
    content = None
    if body is not None:
        request_headers["Content-Type"] = content_type
        content = body if isinstance(body, str) else to_json(body)
    timeout = 30.0
    if isinstance(options, Mapping) and is_number(options.get("timeout")):
        timeout = float(options["timeout"])
    try:
        response = httpx.request(
            verb,
            target,
            params={str(k): java_str(v) for k, v in (query or {}).items()},
            headers=request_headers,
            content=content,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise fail(K, "http", f"failed to execute the request to '{target}': {exc}") from None
    if response.status_code >= 400:
        raise fail(
            K,
            "http",
            f"failed: the server responded {response.status_code} {response.reason_phrase}",
        )
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text
