"""The Pebble AST: small immutable nodes, each with a span of offsets into the template.

One AST, two consumers: the compiler reads it for references, the runtime evaluates it.
Spans are ``(start, end)`` character offsets into the template source string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Offsets = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Node:
    span: Offsets


# --- expressions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expr(Node):
    pass


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True, slots=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class MapLit(Expr):
    pairs: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class GetAttr(Expr):
    obj: Expr
    attr: str


@dataclass(frozen=True, slots=True)
class GetItem(Expr):
    obj: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Args:
    positional: tuple[Expr, ...] = ()
    named: tuple[tuple[str, Expr], ...] = ()


NO_ARGS = Args()


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A function call ``name(args)``; ``name`` is a global function or a macro."""

    name: str
    args: Args


@dataclass(frozen=True, slots=True)
class MethodCall(Expr):
    """``obj.name(args)``: parsed so that real flows load, refused by the sandbox at run time."""

    obj: Expr
    name: str
    args: Args


@dataclass(frozen=True, slots=True)
class Filter(Expr):
    value: Expr
    name: str
    args: Args
    name_span: Offsets = (0, 0)


@dataclass(frozen=True, slots=True)
class Test(Expr):
    value: Expr
    name: str
    args: Args
    negated: bool = False
    name_span: Offsets = (0, 0)


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "not", "-", "+"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # "or", "and", "==", "!=", "<", ">", "<=", ">=", "equals", "contains", "isIn",
    # "+", "-", "*", "/", "%", "~", "..", "??", "???"
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Cond(Expr):
    test: Expr
    then: Expr
    otherwise: Expr


# --- template structure -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stmt(Node):
    pass


@dataclass(frozen=True, slots=True)
class Text(Stmt):
    text: str


@dataclass(frozen=True, slots=True)
class Print(Stmt):
    """``{{ expr }}``."""

    expr: Expr


@dataclass(frozen=True, slots=True)
class If(Stmt):
    branches: tuple[tuple[Expr, tuple[Stmt, ...]], ...]
    otherwise: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class For(Stmt):
    target: str
    iterable: Expr
    body: tuple[Stmt, ...]
    otherwise: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Set(Stmt):
    name: str
    expr: Expr


@dataclass(frozen=True, slots=True)
class Raw(Stmt):
    """``{% raw %}...{% endraw %}``: text that is never parsed."""

    text: str


@dataclass(frozen=True, slots=True)
class Macro(Stmt):
    name: str
    params: tuple[tuple[str, Expr | None], ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class FilterBlock(Stmt):
    """``{% filter upper | trim %}...{% endfilter %}``: each Filter's value is a placeholder."""

    filters: tuple[Filter, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Block(Stmt):
    name: str
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Template(Node):
    source: str
    body: tuple[Stmt, ...]

    @property
    def single_expression(self) -> Expr | None:
        """The expression when the template is exactly one ``{{ expr }}`` (typed rendering)."""
        if len(self.body) == 1 and isinstance(self.body[0], Print):
            return self.body[0].expr
        return None


def walk(node: Any):
    """Every node below ``node`` (depth first, including it)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Node):
            yield current
            for name in current.__slots__ if hasattr(current, "__slots__") else ():
                stack.append(getattr(current, name))
        elif isinstance(current, (tuple, list)):
            stack.extend(reversed(current))
        elif isinstance(current, Args):
            stack.extend(current.positional)
            stack.extend(v for _, v in current.named)
