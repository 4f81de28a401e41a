"""What filters and functions need from the runtime: the ``EvalContext`` and ``RuntimeServices``.

The evaluator passes an :class:`EvalContext` to functions marked ``@pass_context``; the
runtime implements :class:`RuntimeServices` (storage, KV store, secrets, logs).
:class:`DefaultServices` is the stand-alone implementation used without a run: no storage, no
KV store, secrets from ``SECRET_<KEY>`` environment variables as Kestra OSS reads them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from runtime.errors import ExpressionError

__all__ = ["DefaultServices", "EvalContext", "RuntimeServices", "secret_subkey"]


@runtime_checkable
class RuntimeServices(Protocol):
    """Services a run provides to templates."""

    def read(self, path: str, namespace: str | None) -> str:
        """Content of ``kestra:///...``, ``nsfile:///...`` or a relative namespace file."""
        ...

    def file_size(self, path: str, namespace: str | None) -> int: ...

    def file_exists(self, path: str, namespace: str | None) -> bool: ...

    def file_uri(self, path: str, namespace: str | None) -> str: ...

    def kv(self, key: str, namespace: str | None, error_on_missing: bool) -> Any: ...

    def secret(self, key: str, namespace: str | None, subkey: str | None) -> str:
        """The secret's value; the runtime masks it in logs."""
        ...

    def tasks_with_state(self, state: str) -> list[dict]: ...

    def error_logs(self) -> list[dict]: ...


@runtime_checkable
class EvalContext(Protocol):
    """What ``@pass_context`` functions receive from the evaluator."""

    variables: Mapping[str, Any]
    services: RuntimeServices

    def render(self, template: str, recursive: bool = True) -> str:
        """Render ``template`` against the current variables (``render()``/``renderOnce()``)."""
        ...


_SECRET_PREFIX = "SECRET_"
_LINE_BREAKS = re.compile(r"\r\n|[\n\x0b\x0c\r\x85\u2028\u2029]")


def secret_subkey(secret: str, key: str, subkey: str | None) -> str:
    """Kestra's ``secret(key, subkey=...)``: a field of a JSON secret."""
    if not subkey:
        return secret
    try:
        document = json.loads(secret)
    except ValueError:
        raise ExpressionError(
            f"failed to read secret sub-key '{subkey}' from secret '{key}'; ensure the secret "
            "contains a valid JSON value"
        ) from None
    if not isinstance(document, dict) or subkey not in document:
        raise ExpressionError(f"cannot find secret sub-key '{subkey}' in secret '{key}'")
    value = document[subkey]
    if isinstance(value, dict | list):
        from runtime.values import to_json

        return to_json(value)
    from runtime.values import java_str

    return java_str(value)


class DefaultServices:
    """Services without a run: secrets from the environment, everything else refused."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def _no_run(self, what: str) -> ExpressionError:
        return ExpressionError(
            f"{what} needs a run: internal storage and the KV store exist only while a flow "
            "runs (use 'flowc run')"
        )

    def read(self, path: str, namespace: str | None) -> str:
        raise self._no_run(f"read('{path}')")

    def file_size(self, path: str, namespace: str | None) -> int:
        raise self._no_run(f"fileSize('{path}')")

    def file_exists(self, path: str, namespace: str | None) -> bool:
        raise self._no_run(f"fileExists('{path}')")

    def file_uri(self, path: str, namespace: str | None) -> str:
        raise self._no_run(f"fileURI('{path}')")

    def kv(self, key: str, namespace: str | None, error_on_missing: bool) -> Any:
        raise self._no_run(f"kv('{key}')")

    def tasks_with_state(self, state: str) -> list[dict]:
        raise self._no_run(f"tasksWithState('{state}')")

    def error_logs(self) -> list[dict]:
        raise self._no_run("errorLogs()")

    def secret(self, key: str, namespace: str | None, subkey: str | None) -> str:
        """Kestra OSS: ``SECRET_<KEY>`` environment variables holding base64 values.

        Names are compared upper-cased after the prefix, as Kestra's ``SecretService`` does.
        """
        wanted = key.upper()
        for name, raw in self._environ.items():
            if name.startswith(_SECRET_PREFIX) and name[len(_SECRET_PREFIX) :].upper() == wanted:
                try:
                    decoded = base64.b64decode(_LINE_BREAKS.sub("", raw), validate=True)
                except (binascii.Error, ValueError):
                    raise ExpressionError(
                        f"secret '{key}' cannot be decoded: environment variable '{name}' must "
                        "hold a base64-encoded value"
                    ) from None
                return secret_subkey(decoded.decode("utf-8", errors="replace"), key, subkey)
        raise ExpressionError(
            f"cannot find secret for key '{key}'; set the environment variable "
            f"'{_SECRET_PREFIX}{wanted}' to its base64-encoded value"
        )
