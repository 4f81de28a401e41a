"""Stage 4: ASTs -> references (``outputs.X...``, ``inputs.Y``, ``vars.Z``, ``secret('S')``...).

A reference knows the task that reads it, the expression, its file span and whether it is
guarded (``??``, ``???``, ``is defined``, ``default(...)``), in which case a missing target is
not an error. ``render(vars.x)`` is followed into the variable's own template, so a dependency
hidden in ``variables`` is found. Nothing inside ``{% raw %}`` or ``{# #}`` is ever seen: the
lexer drops comments and keeps raw blocks as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.expr import nodes as n
from compiler.expr.lexer import TemplateSyntaxError
from compiler.expr.parser import has_template, parse_cached
from compiler.expressions import Site, locate, verbatim_offset
from compiler.loader import YScalar
from compiler.model import Flow, Task
from compiler.source import Span

#: Roots whose first key names something flowc can check.
CHECKED_ROOTS = ("outputs", "inputs", "vars", "tasks")
FILE_FUNCTIONS = ("read", "fileURI", "fileSize", "fileExists", "isFileEmpty")


@dataclass(slots=True)
class Segment:
    key: str | int | None  # None: computed at run time
    item: bool  # written with [] rather than .
    expr: n.Expr | None = None  # the key expression when computed

    def render(self) -> str:
        if self.key is None:
            return "[...]"
        if self.item:
            return f"[{self.key!r}]" if isinstance(self.key, str) else f"[{self.key}]"
        return f".{self.key}"


@dataclass(slots=True)
class Reference:
    root: str  # outputs | inputs | vars | tasks | secret | kv | read ...
    name: str | None  # the task / input / variable / secret name; None when computed
    segments: tuple[Segment, ...]  # what follows the name
    text: str  # the reference as written, e.g. outputs.api.body
    expression: str  # the whole template it sits in
    span: Span
    path: str  # YAML path of the scalar
    site: Site
    guarded: bool = False
    name_item: bool = False  # outputs['x'] rather than outputs.x
    loop_keyed: bool = False  # reached through currentEachOutput()
    hyphen_dotted: str | None = None  # the dotted form a user wrote for a hyphenated id
    via: str | None = None  # variable name when found through render(vars.x)

    @property
    def task(self) -> Task | None:
        return self.site.task

    @property
    def carried(self) -> str:
        """What the edge carries: ``body``, ``outputFiles['products.csv']``, ``vars.n``."""
        parts: list[str] = []
        for seg in self.segments[:2]:
            if seg.key is None:
                parts.append("[...]")
            elif seg.item:
                parts.append(f"['{seg.key}']" if isinstance(seg.key, str) else f"[{seg.key}]")
            else:
                parts.append(("." if parts else "") + str(seg.key))
        return "".join(parts) or "*"


@dataclass(slots=True)
class LibraryUse:
    kind: str  # filter | function | test
    name: str
    span: Span
    site: Site


@dataclass
class Extraction:
    references: list[Reference] = field(default_factory=list)
    library: list[LibraryUse] = field(default_factory=list)
    follow_errors: list[tuple[str, Span, str]] = field(default_factory=list)  # (message, span, var)


class _Visitor:
    def __init__(self, flow: Flow, site: Site, out: Extraction) -> None:
        self.flow = flow
        self.site = site
        self.out = out
        self.scalar: YScalar = site.scalar
        self.source_text: str = site.scalar.value
        self.via: str | None = None
        self.followed: set[str] = set()
        self.locals: list[set[str]] = [set()]
        self.macros: set[str] = set()
        self.bases: dict[int, int | None] = {}  # scalar -> where its verbatim value starts

    # -- helpers ---------------------------------------------------------------------------

    def span(self, offsets: tuple[int, int]) -> Span:
        key = id(self.scalar)
        if key not in self.bases:
            self.bases[key] = verbatim_offset(self.flow.source, self.scalar)
        return locate(self.flow.source, self.scalar, offsets[0], offsets[1], self.bases[key])

    def is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.locals)

    # -- statements ------------------------------------------------------------------------

    def visit_body(self, body: tuple[n.Stmt, ...], guards: frozenset[str]) -> None:
        for stmt in body:
            self.visit_stmt(stmt, guards)

    def visit_stmt(self, stmt: n.Stmt, guards: frozenset[str]) -> None:
        if isinstance(stmt, n.Print):
            self.visit(stmt.expr, False, guards)
        elif isinstance(stmt, n.If):
            for test, body in stmt.branches:
                self.visit(test, False, guards)
                self.visit_body(body, guards | _defined_chains(test))
            self.visit_body(stmt.otherwise, guards)
        elif isinstance(stmt, n.For):
            self.visit(stmt.iterable, False, guards)
            self.locals.append({stmt.target, "loop"})
            self.visit_body(stmt.body, guards)
            self.locals.pop()
            self.visit_body(stmt.otherwise, guards)
        elif isinstance(stmt, n.Set):
            self.visit(stmt.expr, False, guards)
            self.locals[-1].add(stmt.name)
        elif isinstance(stmt, n.Macro):
            self.macros.add(stmt.name)
            self.locals.append({name for name, _ in stmt.params})
            for _, default in stmt.params:
                if default is not None:
                    self.visit(default, False, guards)
            self.visit_body(stmt.body, guards)
            self.locals.pop()
        elif isinstance(stmt, n.FilterBlock):
            for flt in stmt.filters:
                self.library("filter", flt.name, flt.name_span)
                self.visit_args(flt.args, False, guards)
            self.visit_body(stmt.body, guards)
        elif isinstance(stmt, n.Block):
            self.visit_body(stmt.body, guards)

    # -- expressions -----------------------------------------------------------------------

    def library(self, kind: str, name: str, offsets: tuple[int, int]) -> None:
        self.out.library.append(LibraryUse(kind, name, self.span(offsets), self.site))

    def visit_args(self, args: n.Args, guarded: bool, guards: frozenset[str]) -> None:
        for arg in args.positional:
            self.visit(arg, guarded, guards)
        for _, arg in args.named:
            self.visit(arg, guarded, guards)

    def visit(self, expr: n.Expr, guarded: bool, guards: frozenset[str]) -> None:
        if isinstance(expr, (n.Name, n.GetAttr, n.GetItem)):
            self.chain(expr, guarded, guards)
        elif isinstance(expr, n.Binary):
            if expr.op in ("??", "???"):
                self.visit(expr.left, True, guards)
                self.visit(expr.right, guarded, guards)
            elif expr.op == "-" and self.hyphenated(expr, guarded, guards):
                return
            else:
                self.visit(expr.left, guarded, guards)
                self.visit(expr.right, guarded, guards)
        elif isinstance(expr, n.Test):
            self.library("test", expr.name, expr.name_span)
            self.visit(expr.value, guarded or expr.name in ("defined", "null", "empty"), guards)
            self.visit_args(expr.args, guarded, guards)
        elif isinstance(expr, n.Filter):
            self.library("filter", expr.name, expr.name_span)
            self.visit(expr.value, guarded or expr.name == "default", guards)
            self.visit_args(expr.args, guarded, guards)
        elif isinstance(expr, n.Call):
            self.call(expr, guarded, guards)
        elif isinstance(expr, n.MethodCall):
            self.visit(expr.obj, guarded, guards)
            self.visit_args(expr.args, guarded, guards)
        elif isinstance(expr, n.Unary):
            self.visit(expr.operand, guarded, guards)
        elif isinstance(expr, n.Cond):
            self.visit(expr.test, guarded, guards)
            self.visit(expr.then, guarded, guards | _defined_chains(expr.test))
            self.visit(expr.otherwise, guarded, guards)
        elif isinstance(expr, n.ListLit):
            for item in expr.items:
                self.visit(item, guarded, guards)
        elif isinstance(expr, n.MapLit):
            for key, value in expr.pairs:
                self.visit(key, guarded, guards)
                self.visit(value, guarded, guards)

    def call(self, expr: n.Call, guarded: bool, guards: frozenset[str]) -> None:
        if expr.name not in self.macros:
            self.library("function", expr.name, (expr.span[0], expr.span[0] + len(expr.name)))
        args = expr.args
        first = args.positional[0] if args.positional else None
        named = expr.name in ("secret", "kv") or expr.name in FILE_FUNCTIONS
        if named and isinstance(first, n.Literal) and isinstance(first.value, str):
            self.record(expr.name, first.value, (), expr.span, guarded, name_item=True)
        if expr.name in ("render", "renderOnce") and first is not None:
            root, segments = _chain_parts(first)
            if (
                isinstance(root, n.Name)
                and root.name == "vars"
                and segments
                and segments[0].key is not None
            ):
                self.follow(str(segments[0].key), guards)
        self.visit_args(args, guarded, guards)

    def follow(self, var: str, guards: frozenset[str]) -> None:
        """Visit the template held by ``variables.<var>`` as if written at the call site."""
        if var in self.followed or self.flow.variables is None:
            return
        node = self.flow.variables.get(var)
        if (
            not isinstance(node, YScalar)
            or not isinstance(node.value, str)
            or not has_template(node.value)
        ):
            return
        try:
            template = parse_cached(node.value)
        except TemplateSyntaxError:
            return  # reported on the variable itself
        saved = (self.scalar, self.via)
        self.followed.add(var)
        self.scalar, self.via = node, var
        self.visit_body(template.body, guards)
        self.scalar, self.via = saved

    def chain(self, expr: n.Expr, guarded: bool, guards: frozenset[str]) -> None:
        root, segments = _chain_parts(expr)
        for seg in segments:  # computed keys are expressions of their own
            if seg.expr is not None:
                self.visit(seg.expr, guarded, guards)
        loop_keyed = False
        if isinstance(root, n.Call) and root.name == "currentEachOutput" and root.args.positional:
            inner_root, inner = _chain_parts(root.args.positional[0])
            self.call(root, guarded, guards)
            if not isinstance(inner_root, n.Name):
                return
            root, segments, loop_keyed = inner_root, inner + segments, True
        elif not isinstance(root, n.Name):
            self.visit(root, guarded, guards)
            return
        name = root.name
        if self.is_local(name) or name not in CHECKED_ROOTS:
            return
        text = (
            self.source_text[expr.span[0] : expr.span[1]]
            if self.via is None
            else _chain_text(name, segments)
        )
        if guards:  # inside `{% if x is defined %}`: x and what is below it are guarded
            written = _chain_text(name, segments)
            if any(written == g or written.startswith((g + ".", g + "[")) for g in guards):
                guarded = True
        if not segments:
            return  # the whole map (``{{ outputs }}``): nothing to check
        first = segments[0]
        self.record(
            name,
            None if first.key is None else str(first.key),
            tuple(segments[1:]),
            expr.span,
            guarded,
            name_item=first.item,
            loop_keyed=loop_keyed,
            text=text,
        )

    def record(
        self,
        root: str,
        name: str | None,
        segments: tuple[Segment, ...],
        offsets: tuple[int, int],
        guarded: bool,
        *,
        name_item: bool = False,
        loop_keyed: bool = False,
        text: str | None = None,
        hyphen_dotted: str | None = None,
    ) -> None:
        self.out.references.append(
            Reference(
                root=root,
                name=name,
                segments=segments,
                text=text if text is not None else self.source_text[offsets[0] : offsets[1]],
                expression=self.scalar.value.strip(),
                span=self.span(offsets),
                path=self.site.path,
                site=self.site,
                guarded=guarded,
                name_item=name_item,
                loop_keyed=loop_keyed,
                hyphen_dotted=hyphen_dotted,
                via=self.via,
            )
        )

    def hyphenated(self, expr: n.Binary, guarded: bool, guards: frozenset[str]) -> bool:
        """``outputs.fetch-data.code`` parses as a subtraction; recognise and record it."""
        parts: list[n.Expr] = []
        node: n.Expr = expr
        while isinstance(node, n.Binary) and node.op == "-" and self._tight(node):
            parts.insert(0, node.right)
            node = node.left
        parts.insert(0, node)
        head_root, head = _chain_parts(parts[0])
        if not (
            isinstance(head_root, n.Name)
            and head_root.name in ("outputs", "inputs")
            and len(head) == 1
            and not head[0].item
        ):
            return False
        words = [str(head[0].key)]
        tail: list[Segment] = []
        for i, part in enumerate(parts[1:], 1):
            root, segs = _chain_parts(part)
            if not isinstance(root, n.Name):
                return False
            words.append(root.name)
            if segs:
                if i != len(parts) - 1:
                    return False
                tail = segs
        ident = "-".join(words)
        dotted = self.source_text[expr.span[0] : expr.span[1]]
        self.record(
            head_root.name,
            ident,
            tuple(tail),
            expr.span,
            guarded,
            text=dotted,
            hyphen_dotted=dotted,
        )
        return True

    def _tight(self, node: n.Binary) -> bool:
        gap = self.source_text[node.left.span[1] : node.right.span[0]]
        return gap == "-"


def _chain_parts(expr: n.Expr) -> tuple[n.Expr, list[Segment]]:
    segments: list[Segment] = []
    node = expr
    while True:
        if isinstance(node, n.GetAttr):
            segments.append(Segment(node.attr, False))
            node = node.obj
        elif isinstance(node, n.GetItem):
            key = node.key
            if (
                isinstance(key, n.Literal)
                and isinstance(key.value, (str, int))
                and not isinstance(key.value, bool)
            ):
                segments.append(Segment(key.value, True))
            else:
                segments.append(Segment(None, True, key))
            node = node.obj
        else:
            segments.reverse()
            return node, segments


def _chain_text(root: str, segments: list[Segment] | tuple[Segment, ...]) -> str:
    return root + "".join(seg.render() for seg in segments)


def _defined_chains(test: n.Expr) -> frozenset[str]:
    """Chains a test proves to exist: ``x is defined``, ``x is not null``, ``x ?? ...`` in ``and``s."""
    found: set[str] = set()
    for node in n.walk(test):
        if isinstance(node, n.Test) and (
            (node.name == "defined" and not node.negated)
            or (node.name in ("null", "empty") and node.negated)
        ):
            root, segments = _chain_parts(node.value)
            if isinstance(root, n.Name):
                found.add(_chain_text(root.name, segments))
    return frozenset(found)


def extract(flow: Flow, sites: list[Site]) -> Extraction:
    out = Extraction()
    for site in sites:
        if site.template is None:
            continue
        visitor = _Visitor(flow, site, out)
        visitor.visit_body(site.template.body, frozenset())
    return out
