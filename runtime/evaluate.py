"""Evaluate the compiler's Pebble AST, the way Kestra's Pebble does, inside a sandbox.

A template is compiled once into a tree of Python closures (one per AST node, see
:func:`compile_template`), then run any number of times against a context. The closures take a
:class:`Frame`: the scope chain, the services and the per-render budgets.

Semantics follow Pebble 3.2.4 as Kestra 1.0 configures it (strict variables, no autoescaping,
no newline trimming); values follow :mod:`runtime.values`. Where Pebble is surprising, this
module follows Pebble and says so: ``set`` inside a loop updates an outer variable, macros see
only their arguments, a macro or ``filter`` block body prints maps the Java way (``{a=1}``).

The sandbox is structural: values are plain data (dict, list, str, numbers, dates), and the
evaluator never calls ``getattr`` on them. An attribute is a map key, a list index, or one of
the few read-only properties and methods listed in :data:`STR_METHODS`, :data:`LIST_METHODS`
and :data:`MAP_METHODS`; anything else fails with :class:`SandboxError` or
:class:`UndefinedError`. Ranges, loops, string and list sizes, output size, macro and
``render()`` depth are bounded (:class:`Limits`).

Errors are :class:`ExpressionError` subclasses whose message ends like Pebble's
(``... (<template>:<line>)``), except a missing variable, which reads like Kestra's:
``Unable to find `x` used in the expression `{{ x }}` at line 1``.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.expr import nodes as n
from compiler.expr.lexer import TemplateSyntaxError
from compiler.expr.parser import parse
from runtime import values as v
from runtime.errors import ExpressionError, SandboxError, UndefinedError
from runtime.filters import FILTERS, FUNCTIONS, TESTS

__all__ = [
    "LIST_METHODS",
    "MAP_METHODS",
    "STR_METHODS",
    "CompiledTemplate",
    "Entry",
    "Frame",
    "Limits",
    "compile_template",
    "syntax_error",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Budgets of one render (nested ``render()`` calls share them)."""

    max_range: int = 100_000  # items of ``range()`` / ``a..b`` (jinja2.sandbox.MAX_RANGE)
    max_string: int = 10 * 1024 * 1024  # characters of any string built by an operator
    max_items: int = 1_000_000  # items of a list built by ``+``
    max_output: int = 10 * 1024 * 1024  # characters rendered by one call
    max_iterations: int = 1_000_000  # ``for`` iterations in one call
    max_macro_depth: int = 100  # nested macro calls
    max_render_depth: int = 20  # nested ``render()`` calls
    max_render_passes: int = 100  # passes of a recursive ``render()`` (Kestra's limit)


DEFAULT_LIMITS = Limits()


# --- data shapes the evaluator creates ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """A map entry, as ``{% for e in map %}`` yields it: ``e.key``, ``e.value``."""

    key: Any
    value: Any

    def __str__(self) -> str:  # Java's Map.Entry.toString
        return f"{v.java_str(self.key)}={v.java_str(self.value)}"


class _Macro:
    __slots__ = ("name", "params", "body")

    def __init__(self, name: str, params: tuple[tuple[str, Any], ...], body: Any) -> None:
        self.name = name
        self.params = params  # (name, compiled default or None)
        self.body = body


# --- the frame: scope chain + budgets ----------------------------------------------------------


class _State:
    """What nested renders (macros, ``render()``) of one call share."""

    __slots__ = (
        "services",
        "limits",
        "compile",
        "output",
        "iterations",
        "macro_depth",
        "render_depth",
    )

    def __init__(
        self,
        services: Any,
        limits: Limits,
        compile: Callable[[str], CompiledTemplate],
    ) -> None:
        self.services = services
        self.limits = limits
        self.compile = compile  # the renderer's cached compile, for ``render()``
        self.output = 0
        self.iterations = 0
        self.macro_depth = 0
        self.render_depth = 0


class Frame:
    """The scope chain of one render.

    ``scopes[0]`` is the caller's context (never written to); ``scopes[1]`` holds the template's
    own ``set`` variables; each ``for`` pushes a scope. A macro runs in a fresh frame whose only
    scope is its arguments (Pebble's local scope).
    """

    __slots__ = ("scopes", "state", "template", "java_print")

    def __init__(
        self,
        scopes: list[Mapping[str, Any]],
        state: _State,
        template: CompiledTemplate,
        java_print: bool = False,
    ) -> None:
        self.scopes = scopes
        self.state = state
        self.template = template
        self.java_print = java_print

    def lookup(self, name: str) -> Any:
        """The value of ``name``; raises KeyError when undefined."""
        scopes = self.scopes
        for i in range(len(scopes) - 1, -1, -1):
            scope = scopes[i]
            if name in scope:
                return scope[name]
        raise KeyError(name)

    def set(self, name: str, value: Any) -> None:
        """Pebble's ``ScopeChain.set``: update the nearest scope holding ``name``, else the top."""
        scopes = self.scopes
        for i in range(len(scopes) - 1, 0, -1):
            scope = scopes[i]
            if name in scope:
                scope[name] = value  # type: ignore[index]
                return
        # Not set yet (or only in the caller's context, which is read-only): the top scope,
        # or the template scope when the name comes from the caller's context.
        if len(scopes) > 1 and name in scopes[0]:
            scopes[1][name] = value  # type: ignore[index]
        else:
            scopes[-1][name] = value  # type: ignore[index]

    def variables(self) -> dict[str, Any]:
        """Every visible variable, innermost winning (what ``render()`` renders against)."""
        merged: dict[str, Any] = {}
        for scope in self.scopes:
            merged.update(scope)
        return merged


# --- compiled templates ------------------------------------------------------------------------

Eval = Callable[[Frame], Any]
_EMPTY: Mapping[str, Any] = {}
Render = Callable[[Frame, list], None]


class CompiledTemplate:
    """A template compiled to closures; immutable, shareable between threads."""

    __slots__ = ("source", "body", "single", "macros", "_lines")

    def __init__(self, source: str) -> None:
        self.source = source
        self._lines: list[int] | None = None
        self.macros: dict[str, _Macro] = {}
        self.body: Render = _noop
        self.single: Eval | None = None

    def line(self, offset: int) -> int:
        """1-based line of a template offset."""
        return self.source.count("\n", 0, max(0, offset)) + 1

    def new_frame(self, context: Mapping[str, Any], state: _State) -> Frame:
        return Frame([context, {}], state, self)

    def render(self, context: Mapping[str, Any], state: _State) -> str:
        out: list[str] = []
        self.body(self.new_frame(context, state), out)
        return "".join(out)

    def evaluate(self, context: Mapping[str, Any], state: _State) -> Any:
        """The native value of a single-expression template."""
        assert self.single is not None
        return self.single(self.new_frame(context, state))


def _noop(frame: Frame, out: list) -> None:
    return None


def syntax_error(exc: TemplateSyntaxError, source: str) -> ExpressionError:
    """A parser error as the ExpressionError a render raises (Pebble's ``msg (tpl:line)``)."""
    line = source.count("\n", 0, max(0, exc.offset)) + 1
    error = ExpressionError(f"{exc.message} ({source}:{line})", source)
    error.offset = exc.offset  # type: ignore[attr-defined]
    return error


def compile_template(source: str) -> CompiledTemplate:
    """Parse and compile; raises ExpressionError for a syntax error."""
    try:
        tree = parse(source)
    except TemplateSyntaxError as exc:
        raise syntax_error(exc, source) from None
    except RecursionError:
        raise SandboxError("template too deeply nested", source) from None
    compiled = CompiledTemplate(source)
    compiler = _Compiler(compiled)
    try:
        compiled.body = compiler.body(tree.body)
        single = tree.single_expression
        if single is not None:
            compiled.single = compiler.statement_expr(single)
    except RecursionError:
        raise SandboxError("template too deeply nested", source) from None
    return compiled


# --- errors ------------------------------------------------------------------------------------


def _located(exc: ExpressionError, template: CompiledTemplate, offset: int) -> ExpressionError:
    """``exc`` (raised without position by a value helper or a filter) with Pebble's suffix."""
    located = copy.copy(exc)
    located.message = f"{exc.message} ({template.source}:{template.line(offset)})"
    located.expression = template.source
    located.args = (located.message,)
    return located


def _undefined(template: CompiledTemplate, offset: int, name: str) -> UndefinedError:
    return UndefinedError(
        f"Unable to find `{name}` used in the expression `{template.source}` "
        f"at line {template.line(offset)}",
        name,
        template.source,
    )


def _error(template: CompiledTemplate, offset: int, message: str) -> ExpressionError:
    return ExpressionError(
        f"{message} ({template.source}:{template.line(offset)})", template.source
    )


def _sandbox(template: CompiledTemplate, offset: int, message: str) -> SandboxError:
    return SandboxError(f"{message} ({template.source}:{template.line(offset)})", template.source)


# --- sandbox: the only attributes and methods a template can reach ------------------------------

#: Attribute names that never resolve to data unless a map has that key: Python and Java
#: internals used by template-injection payloads. Any name starting with ``_`` is included.
_INTERNAL_NAMES = frozenset(
    {
        # Python (jinja2.sandbox's UNSAFE_* sets, plus the classic SSTI chain)
        "mro",
        "func_globals",
        "func_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "tb_frame",
        "im_class",
        "im_func",
        "im_self",
        "format",
        "format_map",
        # Java reflection (Pebble's BlacklistMethodAccessValidator and common payloads)
        "class",
        "getClass",
        "forName",
        "getRuntime",
        "exec",
        "getClassLoader",
        "classLoader",
        "newInstance",
        "getMethod",
        "getDeclaredMethod",
        "getDeclaredField",
        "invoke",
        "wait",
        "notify",
        "notifyAll",
        "getWriter",
        "getOutputStream",
    }
)


def is_internal_name(name: str) -> bool:
    """A name that reaches language internals rather than data."""
    return name.startswith("_") or name in _INTERNAL_NAMES


def _java_index(key: Any) -> int | None:
    """``Integer.parseInt(String.valueOf(key))``, or None."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    text = key if isinstance(key, str) else v.java_str(key)
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    index = int(text)
    return index if -(2**31) <= index < 2**31 else None


def _str_len(text: str) -> int:
    return v.length(text)


#: Read-only Java-style members on strings: name -> (min args, max args, implementation).
STR_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "length": (0, 0, lambda s: _str_len(s)),
    "isEmpty": (0, 0, lambda s: s == ""),
    "isBlank": (0, 0, lambda s: s.strip() == ""),
    "toUpperCase": (0, 0, lambda s: s.upper()),
    "toLowerCase": (0, 0, lambda s: s.lower()),
    "trim": (0, 0, lambda s: s.strip("".join(chr(c) for c in range(33)))),
    "strip": (0, 0, lambda s: s.strip()),
    "toString": (0, 0, lambda s: s),
    "contains": (1, 1, lambda s, x: v.java_str(x) in s),
    "startsWith": (1, 1, lambda s, x: s.startswith(v.java_str(x))),
    "endsWith": (1, 1, lambda s, x: s.endswith(v.java_str(x))),
    "equals": (1, 1, lambda s, x: isinstance(x, str) and s == x),
    "equalsIgnoreCase": (1, 1, lambda s, x: isinstance(x, str) and s.lower() == x.lower()),
    "indexOf": (1, 1, lambda s, x: s.find(v.java_str(x))),
    "lastIndexOf": (1, 1, lambda s, x: s.rfind(v.java_str(x))),
    "concat": (1, 1, lambda s, x: s + v.java_str(x)),
    "replace": (2, 2, lambda s, a, b: s.replace(v.java_str(a), v.java_str(b))),
    "substring": (1, 2, lambda s, a, b=None: _substring(s, a, b)),
    "charAt": (1, 1, lambda s, i: _substring(s, i, _int_arg(i) + 1)),
    "split": (1, 2, lambda s, regex, limit=0: _split(s, regex, limit)),
}

#: Read-only Java-style members on lists.
LIST_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "size": (0, 0, lambda items: len(items)),
    "isEmpty": (0, 0, lambda items: len(items) == 0),
    "get": (1, 1, lambda items, i: _list_get(items, i)),
    "contains": (1, 1, lambda items, x: any(v.java_equals(y, x) for y in items)),
    "indexOf": (1, 1, lambda items, x: _index_of(items, x)),
    "toString": (0, 0, lambda items: v.java_str(items)),
}

#: Read-only Java-style members on maps.
MAP_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "size": (0, 0, lambda m: len(m)),
    "isEmpty": (0, 0, lambda m: len(m) == 0),
    "get": (1, 1, lambda m, k: _map_get(m, k, None)),
    "getOrDefault": (2, 2, lambda m, k, d: _map_get(m, k, d)),
    "containsKey": (1, 1, lambda m, k: v.contains(m, k)),
    "containsValue": (1, 1, lambda m, x: any(v.java_equals(y, x) for y in m.values())),
    "keySet": (0, 0, lambda m: list(m.keys())),
    "values": (0, 0, lambda m: list(m.values())),
    "entrySet": (0, 0, lambda m: [Entry(k, x) for k, x in m.items()]),
    "toString": (0, 0, lambda m: v.java_str(m)),
}

_ENTRY_METHODS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "getKey": (0, 0, lambda e: e.key),
    "getValue": (0, 0, lambda e: e.value),
    "toString": (0, 0, lambda e: str(e)),
}

#: Properties Pebble resolves without parentheses through Java getters (``list.size``,
#: ``s.empty``); maps have none: on a map an attribute is always a key.
_STR_PROPERTIES = {"length": "length", "empty": "isEmpty", "blank": "isBlank"}
_LIST_PROPERTIES = {"size": "size", "empty": "isEmpty"}


def _int_arg(value: Any) -> int:
    if isinstance(value, bool) or not v.is_number(value):
        raise ExpressionError(f"expected a number, got '{v.type_name(value)}'")
    return int(value)


def _substring(s: str, begin: Any, end: Any = None) -> str:
    b = _int_arg(begin)
    e = len(s) if end is None else _int_arg(end)
    if b < 0 or e > len(s) or b > e:
        raise ExpressionError(f"begin {b}, end {e}, length {len(s)}: string index out of range")
    return s[b:e]


def _split(s: str, regex: Any, limit: Any = 0) -> list[str]:
    return FILTERS["split"](s, regex, limit)  # Java's regex split semantics


def _list_get(items: Any, index: Any) -> Any:
    i = _int_arg(index)
    if not 0 <= i < len(items):
        raise ExpressionError(f"Index {i} out of bounds for length {len(items)}")
    return items[i]


def _index_of(items: Any, x: Any) -> int:
    for i, y in enumerate(items):
        if v.java_equals(y, x):
            return i
    return -1


def _map_get(m: Mapping, key: Any, default: Any) -> Any:
    try:
        return m.get(key, default)
    except TypeError:  # unhashable key
        return default


# --- the compiler ------------------------------------------------------------------------------


def _bound_signature(fn: Callable) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


_SIGNATURES: dict[Any, inspect.Signature | None] = {}
_BINDS_OK: set[tuple] = set()  # (function, number of positional args, named args) that bind


def _check_arguments(fn: Callable, kind: str, name: str, args: tuple, kwargs: dict) -> None:
    """Refuse unknown or missing arguments with a message (not a Python TypeError).

    The filter library wraps its functions in a checker of its own (``argument_names``); this
    one covers anything else registered in the catalog.
    """
    if hasattr(fn, "argument_names"):
        return
    shape = (fn, len(args), tuple(kwargs))
    if shape in _BINDS_OK:
        return
    signature = _SIGNATURES.get(fn, False)
    if signature is False:
        signature = _bound_signature(fn)
        _SIGNATURES[fn] = signature
    if signature is None:
        return
    try:
        signature.bind(*args, **kwargs)
        if len(_BINDS_OK) < 10_000:
            _BINDS_OK.add(shape)
    except TypeError as exc:
        params = [
            p.name
            for i, p in enumerate(signature.parameters.values())
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and (i > 0 or kind == "function")
        ]
        accepted = ", ".join(f"'{p}'" for p in params) or "none"
        raise ExpressionError(
            f"wrong arguments for {kind} '{name}': {exc}; its arguments are {accepted}"
        ) from None


def _wants_context(fn: Callable) -> bool:
    return bool(getattr(fn, "pass_context", False) or getattr(fn, "_pass_context", False))


class _Compiler:
    """Turns AST nodes into closures over a :class:`Frame`."""

    def __init__(self, template: CompiledTemplate) -> None:
        self.template = template

    # -- statements ----------------------------------------------------------------------------

    def body(self, stmts: tuple[n.Stmt, ...]) -> Render:
        parts = [self.stmt(s) for s in stmts]
        parts = [p for p in parts if p is not None]
        if not parts:
            return _noop
        if len(parts) == 1:
            return parts[0]

        def render_body(frame: Frame, out: list) -> None:
            for part in parts:
                part(frame, out)

        return render_body

    def stmt(self, node: n.Stmt) -> Render | None:
        method = getattr(self, "stmt_" + type(node).__name__)
        return method(node)

    def stmt_Text(self, node: n.Text) -> Render:
        text = node.text

        def render_text(frame: Frame, out: list) -> None:
            _emit(frame, out, text)

        return render_text

    stmt_Raw = stmt_Text

    def stmt_Print(self, node: n.Print) -> Render:
        expr = self.statement_expr(node.expr)

        def render_print(frame: Frame, out: list) -> None:
            value = expr(frame)
            if value is None:
                return
            if isinstance(value, str):
                _emit(frame, out, value)
            elif frame.java_print:
                _emit(frame, out, v.java_str(value))
            else:
                _emit(frame, out, v.to_string(value))

        return render_print

    def stmt_If(self, node: n.If) -> Render:
        branches = [(self.condition(test, "if"), self.body(body)) for test, body in node.branches]
        otherwise = self.body(node.otherwise) if node.otherwise else None

        def render_if(frame: Frame, out: list) -> None:
            for test, body in branches:
                if test(frame):
                    body(frame, out)
                    return
            if otherwise is not None:
                otherwise(frame, out)

        return render_if

    def stmt_For(self, node: n.For) -> Render:
        template = self.template
        iterable = self.statement_expr(node.iterable)
        body = self.body(node.body)
        otherwise = self.body(node.otherwise) if node.otherwise else None
        target = node.target
        offset = node.span[0]

        def render_for(frame: Frame, out: list) -> None:
            value = iterable(frame)
            if value is None:  # Pebble renders nothing, not even the else branch
                return
            if isinstance(value, Mapping):
                items: Any = [Entry(k, x) for k, x in value.items()]
            elif isinstance(value, list | tuple):
                items = value
            elif isinstance(value, Collection) and not isinstance(value, str | bytes):
                items = list(value)  # sets, dict views: Java iterates any Iterable
            else:
                raise _error(
                    template, offset, f"Not an iterable object. Value = [{v.java_str(value)}]"
                )
            length = len(items)
            if length == 0:
                if otherwise is not None:
                    otherwise(frame, out)
                return
            state = frame.state
            if state.iterations + length > state.limits.max_iterations:
                raise _sandbox(
                    template,
                    offset,
                    f"too many loop iterations: more than {state.limits.max_iterations} "
                    "in one render",
                )
            state.iterations += length
            scope: dict[str, Any] = {}
            frame.scopes.append(scope)
            try:
                for index, item in enumerate(items):
                    scope["loop"] = {
                        "index": index,
                        "first": index == 0,
                        "last": index == length - 1,
                        "length": length,
                        "revindex": length - index - 1,
                    }
                    scope[target] = item
                    body(frame, out)
            finally:
                frame.scopes.pop()

        return render_for

    def stmt_Set(self, node: n.Set) -> Render:
        expr = self.statement_expr(node.expr)
        name = node.name

        def render_set(frame: Frame, out: list) -> None:
            frame.set(name, expr(frame))

        return render_set

    def stmt_Macro(self, node: n.Macro) -> None:
        if node.name in self.template.macros:
            raise _error(
                self.template,
                node.span[0],
                f"More than one macro can not share the same name: {node.name}",
            )
        params = tuple(
            (name, None if default is None else self.expr(default)) for name, default in node.params
        )
        # Registered before the body compiles, so a macro may call itself (depth-bounded).
        macro = _Macro(node.name, params, _noop)
        self.template.macros[node.name] = macro
        macro.body = self.body(node.body)
        return None

    def stmt_FilterBlock(self, node: n.FilterBlock) -> Render:
        body = self.body(node.body)
        filters = node.filters

        def body_text(frame: Frame) -> str:
            return _render_java(frame, body)

        expr: Eval = body_text
        for flt in filters:
            expr = self._filter(flt, expr)
        guarded = self._statement_guard(expr, node.span[0])

        def render_filter_block(frame: Frame, out: list) -> None:
            value = guarded(frame)  # printed like ``{{ }}``: Pebble makes it a PrintNode
            if value is None:
                return
            if isinstance(value, str):
                _emit(frame, out, value)
            else:
                _emit(frame, out, v.java_str(value) if frame.java_print else v.to_string(value))

        return render_filter_block

    def stmt_Block(self, node: n.Block) -> Render:
        return self.body(node.body)

    # -- expressions ---------------------------------------------------------------------------

    def statement_expr(self, node: n.Expr) -> Eval:
        """An expression evaluated by a statement: errors get the template and line."""
        return self._statement_guard(self.expr(node), node.span[0])

    def _statement_guard(self, expr: Eval, offset: int) -> Eval:
        template = self.template

        def guarded(frame: Frame) -> Any:
            try:
                return expr(frame)
            except ExpressionError as exc:
                if exc.expression is None:
                    raise _located(exc, template, offset) from exc
                raise
            except RecursionError:
                raise _sandbox(template, offset, "expression too deeply nested") from None

        return guarded

    def condition(self, node: n.Expr, where: str) -> Eval:
        expr = self.statement_expr(node)
        template = self.template
        offset = node.span[0]

        def test(frame: Frame) -> bool:
            value = expr(frame)
            try:
                return v.pebble_truthy(value, where)
            except ExpressionError as exc:
                raise _located(exc, template, offset) from exc

        return test

    def expr(self, node: n.Expr) -> Eval:
        method = getattr(self, "expr_" + type(node).__name__)
        return method(node)

    def expr_Literal(self, node: n.Literal) -> Eval:
        value = node.value
        return lambda frame: value

    def expr_ListLit(self, node: n.ListLit) -> Eval:
        items = [self.expr(item) for item in node.items]
        return lambda frame: [item(frame) for item in items]

    def expr_MapLit(self, node: n.MapLit) -> Eval:
        pairs = [(self.expr(k), self.expr(x)) for k, x in node.pairs]
        capacity = math.ceil(len(pairs) / 0.75)
        template = self.template
        offset = node.span[0]

        def build_map(frame: Frame) -> dict:
            items = []
            for key, value in pairs:
                k = key(frame)
                try:
                    hash(k)
                except TypeError:
                    raise _error(
                        template, offset, f"a map key cannot be a '{v.type_name(k)}'"
                    ) from None
                items.append((k, value(frame)))
            return v.java_hashmap(items, capacity)  # Pebble builds a java.util.HashMap

        return build_map

    def expr_Name(self, node: n.Name) -> Eval:
        name = node.name
        template = self.template
        offset = node.span[0]

        def lookup(frame: Frame) -> Any:
            scopes = frame.scopes
            for i in range(len(scopes) - 1, -1, -1):
                scope = scopes[i]
                if name in scope:
                    return scope[name]
            raise _undefined(template, offset, name)

        return lookup

    def _null_error(self, obj: n.Expr, attr: str, offset: int) -> UndefinedError:
        """Pebble: an attribute of null names the root variable, or else the attribute."""
        return _undefined(self.template, offset, obj.name if isinstance(obj, n.Name) else attr)

    def expr_GetAttr(self, node: n.GetAttr) -> Eval:
        obj = self.expr(node.obj)
        attr = node.attr
        get = self._getter(node.obj, node.span[0])
        return lambda frame: get(obj(frame), attr)

    def expr_GetItem(self, node: n.GetItem) -> Eval:
        obj = self.expr(node.obj)
        key = self.expr(node.key)
        get = self._getter(node.obj, node.span[0])
        return lambda frame: get(obj(frame), key(frame))

    def _getter(self, obj_node: n.Expr, offset: int) -> Callable[[Any, Any], Any]:
        template = self.template
        null_error = self._null_error

        def get(obj: Any, key: Any) -> Any:
            if type(obj) is dict or isinstance(obj, Mapping):
                if isinstance(key, str):
                    if key in obj:
                        return obj[key]
                    # A map's attributes are its keys (data may well have ``_id`` or
                    # ``class``); only a Python dunder is refused outright, for clarity.
                    if key.startswith("__"):
                        raise _sandbox(template, offset, f"access to '{key}' is not allowed")
                    raise _undefined(template, offset, key)
                return _map_item(obj, key, template, offset)
            if obj is None:
                raise null_error(obj_node, v.java_str(key), offset)
            if isinstance(obj, list | tuple):
                index = _java_index(key)
                if index is not None:
                    if 0 <= index < len(obj):
                        return obj[index]
                    raise _undefined(template, offset, v.java_str(key))
                if key in _LIST_PROPERTIES:
                    return LIST_METHODS[_LIST_PROPERTIES[key]][2](obj)
            elif isinstance(obj, str):
                if key in _STR_PROPERTIES:
                    return STR_METHODS[_STR_PROPERTIES[key]][2](obj)
            elif isinstance(obj, Entry):
                if key == "key":
                    return obj.key
                if key == "value":
                    return obj.value
            name = v.java_str(key)
            if is_internal_name(name):
                raise _sandbox(template, offset, f"access to '{name}' is not allowed")
            raise _undefined(template, offset, name)

        return get

    def expr_MethodCall(self, node: n.MethodCall) -> Eval:
        template = self.template
        offset = node.span[0]
        obj = self.expr(node.obj)
        name = node.name
        if node.args.named:
            raise _error(template, offset, f"method '{name}' takes no named arguments")
        args = [self.expr(a) for a in node.args.positional]
        null_error = self._null_error
        obj_node = node.obj

        def call_method(frame: Frame) -> Any:
            target = obj(frame)
            if target is None:
                raise null_error(obj_node, name, offset)
            if isinstance(target, str):
                table, kind = STR_METHODS, "a string"
            elif isinstance(target, list | tuple):
                table, kind = LIST_METHODS, "a list"
            elif isinstance(target, Mapping):
                table, kind = MAP_METHODS, "a map"
            elif isinstance(target, Entry):
                table, kind = _ENTRY_METHODS, "a map entry"
            else:
                table, kind = {}, f"a '{v.type_name(target)}'"
            spec = table.get(name)
            if spec is None:
                allowed = ", ".join(sorted(table)) or "none"
                what = "internal" if is_internal_name(name) else "not allowed"
                raise _sandbox(
                    template,
                    offset,
                    f"method '{name}' is {what} on {kind}: templates may only call "
                    f"read-only methods ({allowed}); use a filter instead",
                )
            low, high, impl = spec
            values = [a(frame) for a in args]
            if not low <= len(values) <= high:
                raise _error(template, offset, f"method '{name}' takes {low}..{high} arguments")
            return impl(target, *values)

        return call_method

    def expr_Call(self, node: n.Call) -> Eval:
        name = node.name
        template = self.template
        offset = node.span[0]
        positional = [self.expr(a) for a in node.args.positional]
        named = [(k, self.expr(a)) for k, a in node.args.named]
        special = _SPECIAL_FUNCTIONS.get(name)
        function = FUNCTIONS.get(name)

        def call(frame: Frame) -> Any:
            args = [a(frame) for a in positional]
            kwargs = {k: a(frame) for k, a in named}
            if special is not None:
                return special(frame, template, offset, args, kwargs)
            if function is not None:
                return _call_function(frame, function, "function", name, args, kwargs)
            macro = frame.template.macros.get(name) or template.macros.get(name)
            if macro is not None:
                return _call_macro(frame, macro, template, offset, args, kwargs)
            raise _error(template, offset, f"Function or Macro [{name}] does not exist.")

        return call

    def expr_Filter(self, node: n.Filter) -> Eval:
        return self._filter(node, self.expr(node.value))

    def _filter(self, node: n.Filter, value: Eval) -> Eval:
        name = node.name
        template = self.template
        offset = node.name_span[0] if node.name_span != (0, 0) else node.span[0]
        positional = [self.expr(a) for a in node.args.positional]
        named = [(k, self.expr(a)) for k, a in node.args.named]
        lenient = name == "default"
        function = FILTERS.get(name)

        def apply(frame: Frame) -> Any:
            if function is None:
                raise _error(template, offset, f"Filter [{name}] does not exist.")
            if lenient:  # ``default`` swallows a missing variable or attribute
                try:
                    subject = value(frame)
                except UndefinedError:
                    subject = None
            else:
                subject = value(frame)
            args = [a(frame) for a in positional]
            kwargs = {k: a(frame) for k, a in named}
            return _call_function(frame, function, "filter", name, [subject, *args], kwargs)

        return apply

    def expr_Test(self, node: n.Test) -> Eval:
        name = node.name
        value = self.expr(node.value)
        negated = node.negated
        template = self.template
        offset = node.span[0]
        positional = [self.expr(a) for a in node.args.positional]
        named = [(k, self.expr(a)) for k, a in node.args.named]

        if name == "defined":

            def defined(frame: Frame) -> bool:
                try:
                    result = value(frame) is not None
                except UndefinedError:
                    result = False
                return result != negated

            return defined

        function = TESTS.get(name)

        def test(frame: Frame) -> bool:
            if function is None:
                raise _error(template, offset, f"Test [{name}] does not exist.")
            subject = value(frame)
            args = [a(frame) for a in positional]
            kwargs = {k: a(frame) for k, a in named}
            result = bool(_call_function(frame, function, "test", name, [subject, *args], kwargs))
            return result != negated

        return test

    def expr_Unary(self, node: n.Unary) -> Eval:
        operand = self.expr(node.operand)
        if node.op == "not":
            return lambda frame: not v.pebble_truthy(operand(frame), "not")
        if node.op == "-":
            return lambda frame: v.neg(operand(frame))
        return lambda frame: v.pos(operand(frame))

    def expr_Cond(self, node: n.Cond) -> Eval:
        test = self.expr(node.test)
        then = self.expr(node.then)
        otherwise = self.expr(node.otherwise)

        def cond(frame: Frame) -> Any:
            if v.pebble_truthy(test(frame), "ternary"):
                return then(frame)
            return otherwise(frame)

        return cond

    def expr_Binary(self, node: n.Binary) -> Eval:
        op = node.op
        left = self.expr(node.left)
        right = self.expr(node.right)
        template = self.template
        offset = node.span[0]

        if op == "and":

            def and_(frame: Frame) -> bool:
                return v.pebble_truthy(left(frame), "and") and v.pebble_truthy(right(frame), "and")

            return and_
        if op == "or":

            def or_(frame: Frame) -> bool:
                return v.pebble_truthy(left(frame), "or") or v.pebble_truthy(right(frame), "or")

            return or_
        if op == "??":

            def coalesce(frame: Frame) -> Any:
                try:
                    result = left(frame)
                except UndefinedError:
                    return right(frame)
                return right(frame) if result is None else result

            return coalesce
        if op == "???":

            def coalesce_undefined(frame: Frame) -> Any:
                try:
                    return left(frame)
                except UndefinedError:
                    return right(frame)

            return coalesce_undefined
        if op == "contains":

            def contains(frame: Frame) -> bool:
                container = left(frame)
                if container is None:  # Pebble does not evaluate the right side
                    return False
                return v.contains(container, right(frame))

            return contains
        if op == "..":
            return lambda frame: _range(frame, template, offset, [left(frame), right(frame)], {})
        if op in ("+", "~"):
            function = v.add if op == "+" else v.concat

            def grow(frame: Frame) -> Any:
                result = function(left(frame), right(frame))
                _check_size(frame, template, offset, result)
                return result

            return grow
        function = _BINARY[op]
        return lambda frame: function(left(frame), right(frame))


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": v.equals,
    "equals": v.equals,
    "!=": lambda a, b: not v.equals(a, b),
    "<": v.lt,
    "<=": v.le,
    ">": v.gt,
    ">=": v.ge,
    "-": v.sub,
    "*": v.mul,
    "/": v.div,
    "%": v.mod,
    "isIn": v.is_in,
}


# --- runtime helpers ---------------------------------------------------------------------------


def _emit(frame: Frame, out: list, text: str) -> None:
    state = frame.state
    state.output += len(text)
    if state.output > state.limits.max_output:
        raise SandboxError(
            f"rendered output too large: more than {state.limits.max_output} characters",
            frame.template.source,
        )
    out.append(text)


def _check_size(frame: Frame, template: CompiledTemplate, offset: int, value: Any) -> None:
    limits = frame.state.limits
    if isinstance(value, str):
        if len(value) > limits.max_string:
            raise _sandbox(
                template, offset, f"string too large: more than {limits.max_string} characters"
            )
    elif isinstance(value, list) and len(value) > limits.max_items:
        raise _sandbox(template, offset, f"list too large: more than {limits.max_items} items")


def _map_item(obj: Mapping, key: Any, template: CompiledTemplate, offset: int) -> Any:
    """``map[key]`` for a non-string key, with Pebble's number-key conversion."""
    try:
        if key in obj:
            return obj[key]
    except TypeError:  # unhashable key
        raise _undefined(template, offset, v.java_str(key)) from None
    if v.is_number(key) and obj:
        first = next(iter(obj))
        if isinstance(first, str):
            raise _error(
                template,
                offset,
                f"cannot look up the number {v.java_str(key)} in a map with string keys; "
                f"quote it: ['{v.java_str(key)}']",
            )
        if v.is_number(first):  # Pebble casts the number to the type of the keys
            converted = int(key) if isinstance(first, int) else float(key)
            if converted in obj:
                return obj[converted]
    raise _undefined(template, offset, v.java_str(key))


def _render_java(frame: Frame, body: Render) -> str:
    """Render a body into its own buffer, printing objects the Java way (macros, filter)."""
    out: list[str] = []
    saved = frame.java_print
    frame.java_print = True
    try:
        body(frame, out)
    finally:
        frame.java_print = saved
    return "".join(out)


def _call_function(
    frame: Frame, function: Callable, kind: str, name: str, args: list, kwargs: dict
) -> Any:
    if _wants_context(function):
        context = EvalContext(frame)
        _check_arguments(function, kind, name, (context, *args), kwargs)
        result = function(context, *args, **kwargs)
    else:
        _check_arguments(function, kind, name, tuple(args), kwargs)
        result = function(*args, **kwargs)
    limits = frame.state.limits
    if isinstance(result, str) and len(result) > limits.max_string:
        raise SandboxError(
            f"{kind} '{name}' returned too large a string: more than {limits.max_string} characters"
        )
    return result


def _call_macro(
    frame: Frame,
    macro: _Macro,
    template: CompiledTemplate,
    offset: int,
    args: list,
    kwargs: dict,
) -> str:
    state = frame.state
    names = [p for p, _ in macro.params]
    if len(args) > len(names):
        raise _error(
            template,
            offset,
            f"macro '{macro.name}' takes {len(names)} arguments, {len(args)} given",
        )
    for key in kwargs:
        if key not in names:
            raise _error(
                template,
                offset,
                f"macro '{macro.name}' has no argument '{key}'; its arguments are "
                + (", ".join(f"'{p}'" for p in names) or "none"),
            )
    if state.macro_depth >= state.limits.max_macro_depth:
        raise _sandbox(
            template,
            offset,
            f"macro '{macro.name}' nested too deeply: more than "
            f"{state.limits.max_macro_depth} calls (recursive macro?)",
        )
    scope: dict[str, Any] = {}
    macro_frame = Frame([_EMPTY, scope], state, frame.template)
    for param, default in macro.params:  # defaults see only the macro's own scope
        scope[param] = None if default is None else default(macro_frame)
    scope.update(zip(names, args, strict=False))
    scope.update(kwargs)
    state.macro_depth += 1
    try:
        return _render_java(macro_frame, macro.body)
    finally:
        state.macro_depth -= 1


def _range(frame: Frame, template: CompiledTemplate, offset: int, args: list, kwargs: dict) -> list:
    """Pebble's ``range(start, end[, increment])`` (inclusive), bounded."""
    names = ("start", "end", "increment")
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise _error(template, offset, f"range() has no argument '{key}'")
        bound[key] = value
    if len(args) > 3:
        raise _error(template, offset, "range() takes at most 3 arguments")
    start, end, step = bound.get("start"), bound.get("end"), bound.get("increment", 1)
    if step is None:
        step = 1
    if not v.is_number(step):
        raise _error(
            template,
            offset,
            f"The increment of the range function must be a number {v.java_str(step)}",
        )
    increment = int(step)
    chars = False
    if v.is_number(start) and v.is_number(end):
        first, last = int(start), int(end)
    elif isinstance(start, str) and isinstance(end, str) and len(start) == len(end) == 1:
        first, last, chars = ord(start), ord(end), True
    else:
        raise _error(
            template,
            offset,
            "Arguments of range function must be of type Number or String with a length of 1",
        )
    if increment == 0:
        raise _error(
            template, offset, "The increment of the range function must be different than 0"
        )
    count = max(0, (last - first) // increment + 1)
    limit = frame.state.limits.max_range
    if count > limit:
        raise _sandbox(template, offset, f"range too large: {count} items (the limit is {limit})")
    stop = last + (1 if increment > 0 else -1)
    if chars:
        return [chr(c) for c in range(first, stop, increment)]
    return list(range(first, stop, increment))


def render_string(frame: Frame, text: str, *, recursive: bool) -> str:
    """Render ``text`` again against the variables visible in ``frame`` (Kestra's ``render``)."""
    state = frame.state
    if state.render_depth >= state.limits.max_render_depth:
        raise SandboxError(
            f"render() nested too deeply: more than {state.limits.max_render_depth} levels",
            frame.template.source,
        )
    variables = frame.variables()
    state.render_depth += 1
    try:
        passes = 0
        while True:
            if "{" not in text:
                return text
            result = state.compile(text).render(variables, state)
            if not recursive or result == text:
                return result
            passes += 1
            if passes >= state.limits.max_render_passes:
                raise SandboxError("Too many rendering attempts", frame.template.source)
            text = result
    finally:
        state.render_depth -= 1


_SPECIAL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "range": lambda frame, template, offset, args, kwargs: _range(
        frame, template, offset, args, kwargs
    ),
}


# --- the context handed to ``@pass_context`` filters and functions ----------------------------


class EvalContext:
    """What a ``@pass_context`` function sees: the visible variables and the services."""

    __slots__ = ("_frame",)

    def __init__(self, frame: Frame) -> None:
        self._frame = frame

    @property
    def services(self) -> Any:
        return self._frame.state.services

    @property
    def variables(self) -> dict[str, Any]:
        return self._frame.variables()

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self._frame.lookup(name)
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        try:
            self._frame.lookup(str(name))
        except KeyError:
            return False
        return True

    def __getitem__(self, name: str) -> Any:
        return self._frame.lookup(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frame.variables())

    def render(self, text: str, recursive: bool = True) -> str:
        return render_string(self._frame, text, recursive=recursive)


def new_state(
    services: Any,
    limits: Limits = DEFAULT_LIMITS,
    compile: Callable[[str], CompiledTemplate] = compile_template,
) -> _State:
    """The shared state of one top-level render."""
    return _State(services, limits, compile)
