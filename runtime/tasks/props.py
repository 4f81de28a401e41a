"""Rendered, typed access to a task's properties, the way Kestra's ``Property<T>`` reads them.

``props`` arrive raw (templates unrendered). :class:`Props` renders what a task reads, converts it
to the type Kestra's property has, and turns every problem into a :class:`TaskError` that names
the property, e.g. ``property 'method' must be one of GET, POST, ... (got 'FETCH')``.

Kestra's rules, reproduced here (KESTRA.md §2):

* ``Property<T>``: render to a string, then convert (``"5"`` -> 5, ``"true"`` -> True).
* A YAML list or map given where a string is expected is JSON-serialised, then rendered.
* ``asList``/``asMap``: each item (value) is rendered, unless the whole property is one string,
  which is rendered and parsed as JSON.
* Durations are ISO-8601 (``PT5M``); a number is seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from runtime.errors import TaskError

_MISSING = object()
_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<d>[-+]?\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>[-+]?\d+(?:[.,]\d+)?)H)?(?:(?P<m>[-+]?\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<s>[-+]?\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(value: Any, what: str) -> float:
    """ISO-8601 duration or a number of seconds -> seconds; TaskError naming ``what``."""
    if isinstance(value, bool) or value is None:
        raise TaskError(f"{what} {value!r} is not a duration; use ISO-8601 such as 'PT30S'")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
        return float(text)
    m = _DURATION.match(text)
    if not m or text.upper().rstrip("T").endswith("P"):
        raise TaskError(
            f"{what} '{value}' is not a duration; use ISO-8601 such as 'PT30S' or 'PT5M'"
        )
    total = sum(
        float((m.group(k) or "0").replace(",", ".")) * mult
        for k, mult in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    )
    return -total if m.group("sign") == "-" else total


def truthy(text: Any) -> bool:
    """Kestra's ``TruthUtils``: false only for ``"false"``, ``"0"``, ``"-0"``, ``""`` and null."""
    if text is None:
        return False
    if isinstance(text, bool):
        return text
    return str(text) not in ("false", "0", "-0", "")


def to_json(value: Any) -> str:
    """Compact JSON, as Jackson writes it (used when a list/map stands where a string is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class Props:
    """A task's properties, read through its context."""

    def __init__(self, props: Mapping[str, Any], ctx: Any) -> None:
        self.props = props
        self.ctx = ctx

    # -- raw access ------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return self.props.get(name) is not None

    def raw(self, name: str, default: Any = None) -> Any:
        value = self.props.get(name)
        return default if value is None else value

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.ctx.render(value, extra)
        except TaskError:
            raise
        except Exception as exc:  # ExpressionError and friends: say which property
            raise _render_error(exc) from exc

    def render_typed(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.ctx.render_typed(value, extra)
        except TaskError:
            raise
        except Exception as exc:
            raise _render_error(exc) from exc

    # -- scalars ---------------------------------------------------------------------------

    def string(
        self,
        name: str,
        default: str | None = None,
        *,
        required: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> str | None:
        value = self.props.get(name)
        if value is None:
            if required:
                raise TaskError(f"property '{name}' is required")
            return default
        if isinstance(value, Mapping | list | tuple):
            value = to_json(value)
        elif not isinstance(value, str):
            value = to_json(value) if isinstance(value, bool) else str(value)
        return self.render(value, extra)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.props.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = self.render(str(value), None).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        if text == "":
            return default
        raise TaskError(f"property '{name}' must be true or false (got '{text}')")

    def integer(
        self, name: str, default: int | None = None, *, minimum: int | None = None
    ) -> int | None:
        value = self.props.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            raise TaskError(f"property '{name}' must be a whole number (got {value!r})")
        if isinstance(value, int):
            number = value
        else:
            text = self.render(str(value), None).strip()
            try:
                number = int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    as_float = None
                if as_float is None or not as_float.is_integer():
                    raise TaskError(
                        f"property '{name}' must be a whole number (got '{text}')"
                    ) from None
                number = int(as_float)
        if minimum is not None and number < minimum:
            raise TaskError(f"property '{name}' must be at least {minimum} (got {number})")
        return number

    def duration(self, name: str, default: float | None = None) -> float | None:
        """Seconds, from an ISO-8601 duration (``PT5M``) or a number of seconds."""
        value = self.props.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            value = self.render(value, None)
            if value == "":
                return default
        return parse_duration(value, f"property '{name}'")

    def choice(self, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
        text = self.string(name)
        if text is None or text == "":
            return default
        allowed = tuple(choices)
        upper = text.strip().upper()
        if upper not in allowed:
            raise TaskError(f"property '{name}' must be one of {', '.join(allowed)} (got '{text}')")
        return upper

    # -- collections -----------------------------------------------------------------------

    def list(
        self, name: str, *, extra: Mapping[str, Any] | None = None, strings: bool = True
    ) -> list[Any] | None:
        """``asList``: a YAML list (each item rendered) or a string rendering to a JSON list.

        A plain string that is not JSON counts as a one-item list (lenient: ``outputFiles: x``).
        """
        value = self.props.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            rendered = self.render_typed(value, extra)
            if isinstance(rendered, list | tuple):
                items = list(rendered)
            elif isinstance(rendered, str):
                try:
                    parsed = json.loads(rendered)
                except ValueError:
                    parsed = rendered
                items = list(parsed) if isinstance(parsed, list) else [parsed]
            elif rendered is None:
                return []
            else:
                items = [rendered]
            return [_stringify(i) if strings else i for i in items]
        if isinstance(value, list | tuple):
            out = []
            for item in value:
                if isinstance(item, str):
                    out.append(self.render(item, extra))
                elif strings:
                    out.append(_stringify(self.render(item, extra)))
                else:
                    out.append(self.render(item, extra))
            return out
        raise TaskError(f"property '{name}' must be a list (got {type(value).__name__})")

    def map(
        self, name: str, *, extra: Mapping[str, Any] | None = None, strings: bool = False
    ) -> dict[str, Any] | None:
        """``asMap``: a YAML map (keys and values rendered) or a string rendering to a JSON map."""
        value = self.props.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            rendered = self.render_typed(value, extra)
            if isinstance(rendered, str):
                if rendered.strip() == "":
                    return {}
                try:
                    rendered = json.loads(rendered)
                except ValueError:
                    raise TaskError(
                        f"property '{name}' must be a map or a JSON object (got '{_short(rendered)}')"
                    ) from None
            if not isinstance(rendered, Mapping):
                raise TaskError(f"property '{name}' must be a map (got {type(rendered).__name__})")
            items = dict(rendered)
        elif isinstance(value, Mapping):
            items = self.render(dict(value), extra)
        else:
            raise TaskError(f"property '{name}' must be a map (got {type(value).__name__})")
        out = {}
        for k, v in items.items():
            out[str(k)] = _stringify(v) if strings and v is not None else v
        return out


def _stringify(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple | bool) or value is None:
        return to_json(value)
    return str(value)


def _short(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render_error(exc: Exception) -> TaskError:
    err = TaskError(str(exc))
    err.__cause__ = exc
    return err
