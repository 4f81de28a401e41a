"""The one exception tree of flowc's runtime.

::

    FlowcRuntimeError            base of everything the runtime raises on purpose
    ├── ExpressionError          a template failed to render or evaluate
    │   ├── UndefinedError       a name, attribute or key does not exist (strict variables)
    │   └── SandboxError         a forbidden access (method call, oversized range, ...)
    ├── TaskError                a task failed
    ├── InputError               a flow input is missing or invalid
    └── StorageError             internal storage could not read or write a file

Every class pickles with its fields (tasks may run in another process: Dask), which
``tests/test_values.py`` checks. Messages follow the project's grammar: lower case, the subject
quoted, the fact, then a hint.
"""

from __future__ import annotations

__all__ = [
    "ExpressionError",
    "FlowcRuntimeError",
    "InputError",
    "SandboxError",
    "StorageError",
    "TaskError",
    "UndefinedError",
]


class FlowcRuntimeError(Exception):
    """Base class: anything the runtime raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self):  # keep subclasses' extra fields across pickling
        return (_rebuild, (type(self), self.__dict__.copy()))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[FlowcRuntimeError], state: dict) -> FlowcRuntimeError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("message", ""))
    obj.__dict__.update(state)
    return obj


class ExpressionError(FlowcRuntimeError):
    """A template failed to render or evaluate.

    ``expression`` is the template (or the part of it) being evaluated, when known.
    """

    def __init__(self, message: str, expression: str | None = None) -> None:
        super().__init__(message)
        self.expression = expression

    def __str__(self) -> str:
        if self.expression is None:
            return self.message
        return f"{self.message} (in `{self.expression}`)"


class UndefinedError(ExpressionError):
    """A name, attribute or key does not exist; ``name`` is the missing name."""

    def __init__(self, message: str, name: str, expression: str | None = None) -> None:
        super().__init__(message, expression)
        self.name = name


class SandboxError(ExpressionError):
    """A template tried something the sandbox forbids."""


class TaskError(FlowcRuntimeError):
    """A task failed."""


class InputError(FlowcRuntimeError):
    """A flow input is missing or invalid."""


class StorageError(FlowcRuntimeError):
    """Internal storage could not read or write a file."""
