"""YAML text -> nodes that keep their position.

PyYAML's composer (libyaml when available) gives nodes with marks; we turn them into
small :class:`YNode` objects that carry a :class:`Span` and resolve scalars the way Kestra's
Jackson parser does (YAML 1.2 core schema: ``on``/``yes``/``no`` and dates stay strings).
Duplicate keys are reported, not silently dropped as PyYAML's constructor would.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from compiler.diagnostics import Collector
from compiler.source import SourceFile, Span

try:  # libyaml is much faster; fall back to the pure-Python composer.
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_IMPLICIT = "?"  # the tag of every untagged node: we resolve scalars ourselves (YAML 1.2 core)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """PyYAML's composer without its YAML 1.1 tag resolution (``on`` is not a boolean for
    Kestra): explicit tags still arrive as written."""

    def resolve(self, kind, value, implicit):  # noqa: ARG002 - PyYAML's signature
        return _IMPLICIT


class YNode:
    """A YAML node with its position. The span is computed from the composer's marks on first
    use: most nodes are never reported on, and reading libyaml's marks is not free."""

    __slots__ = ("_marks", "_span", "tag")

    def __init__(self, span: Span | tuple, tag: str | None) -> None:
        if isinstance(span, Span):
            self._span, self._marks = span, None
        else:
            self._span, self._marks = None, span
        self.tag = tag

    @property
    def span(self) -> Span:
        if self._span is None:
            start, end = self._marks
            self._span = Span(
                start.line + 1,
                start.column + 1,
                end.line + 1,
                end.column + 1,
                start.index,
                end.index,
            )
            self._marks = None
        return self._span

    def to_python(self) -> Any:
        raise NotImplementedError


class YScalar(YNode):
    __slots__ = ("value", "style", "raw")

    def __init__(
        self,
        value: Any,
        span: Span | tuple,
        style: str | None = None,
        raw: str = "",
        tag: str | None = None,
    ) -> None:
        super().__init__(span, tag)
        self.value = value
        self.style = style  # None plain, "'" '"' "|" ">"
        self.raw = raw  # the scalar's text after YAML unescaping (what a template sees)

    def __repr__(self) -> str:
        return f"YScalar({self.value!r} at {self.span!r})"

    def to_python(self) -> Any:
        return self.value


class YSeq(YNode):
    __slots__ = ("items",)

    def __init__(self, items: list[YNode], span: Span | tuple, tag: str | None = None) -> None:
        super().__init__(span, tag)
        self.items = items

    def __repr__(self) -> str:
        return f"YSeq({len(self.items)} items at {self.span!r})"

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]

    def __iter__(self) -> Iterator[YNode]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class YMap(YNode):
    __slots__ = ("pairs", "_index")

    def __init__(
        self, pairs: list[tuple[YScalar, YNode]], span: Span | tuple, tag: str | None = None
    ) -> None:
        super().__init__(span, tag)
        self.pairs = pairs
        self._index: dict[Any, YNode] = {k.value: v for k, v in pairs}

    def __repr__(self) -> str:
        return f"YMap({self.keys()!r} at {self.span!r})"

    def get(self, key: str, default: YNode | None = None) -> YNode | None:
        return self._index.get(key, default)

    def key_node(self, key: str) -> YScalar | None:
        for k, _ in self.pairs:
            if k.value == key:
                return k
        return None

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def keys(self) -> list[Any]:
        return [k.value for k, _ in self.pairs]

    def value(self, key: str, default: Any = None) -> Any:
        node = self._index.get(key)
        return default if node is None else node.to_python()

    def to_python(self) -> dict[Any, Any]:
        return {k.value: v.to_python() for k, v in self.pairs}


# YAML 1.2 core schema, which is what Jackson (SnakeYAML engine) resolves.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


_NOT_WORDS = frozenset(("null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"))


def resolve_plain(text: str) -> Any:
    first = text[:1]
    if first.isalpha() and text not in _NOT_WORDS:  # most scalars: ids, types, words
        return text
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


_EXPLICIT = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
}


class LoadError(Exception):
    """The text is not YAML at all; carries the span of the problem."""

    def __init__(self, message: str, span: Span, hint: str | None = None) -> None:
        super().__init__(message)
        self.span = span
        self.hint = hint


@dataclass
class Document:
    source: SourceFile
    root: YNode | None


class _Converter:
    def __init__(self, source: SourceFile, collector: Collector) -> None:
        self.source = source
        self.collector = collector
        self.memo: dict[int, YNode] = {}
        self.open: set[int] = set()  # collections being converted (to catch recursion)

    def convert(self, node: yaml.Node) -> YNode:
        if node.__class__ is yaml.ScalarNode:  # an aliased scalar may be converted twice: equal
            return self._scalar(node)
        key = id(node)
        cached = self.memo.get(key)
        if cached is not None:  # an alias: the same collection again
            if key in self.open:  # `&a {b: *a}`: a structure that contains itself
                self.collector.add(
                    "yaml-syntax",
                    "recursive alias: this structure contains itself",
                    cached.span,
                    hint="Kestra's parser cannot read recursive anchors; copy the values instead",
                )
                return YScalar(None, cached.span)
            return cached
        self.open.add(key)
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq([], (node.start_mark, node.end_mark), _user_tag(node.tag))
            self.memo[key] = seq
            seq.items.extend(self.convert(item) for item in node.value)
            result: YNode = seq
        else:
            mapping = YMap([], (node.start_mark, node.end_mark), _user_tag(node.tag))
            self.memo[key] = mapping
            mapping.pairs = self._pairs(node)
            mapping._index = {k.value: v for k, v in mapping.pairs}
            result = mapping
        self.open.discard(key)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> YScalar:
        span = (node.start_mark, node.end_mark)
        style = node.style or None  # libyaml reports plain scalars as ""
        text = node.value
        tag = _user_tag(node.tag)
        if tag in _EXPLICIT:
            try:
                value: Any = _EXPLICIT[tag](text)
            except ValueError:
                value = text
        elif style is None and not tag:
            value = resolve_plain(text)
        else:
            value = text
        return YScalar(value, span, style, text, tag)

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[YScalar, YNode]]:
        pairs: list[tuple[YScalar, YNode]] = []
        merged: list[tuple[YScalar, YNode]] = []  # from `<<: *anchor`: explicit keys win
        seen: dict[Any, YScalar] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and (
                key_node.tag == "tag:yaml.org,2002:merge"
                or (key_node.value == "<<" and not key_node.style)
            ):
                source = self.convert(value_node)
                for src in source.items if isinstance(source, YSeq) else [source]:
                    if isinstance(src, YMap):
                        merged.extend(src.pairs)
                continue
            key = self.convert(key_node)
            if not isinstance(key, YScalar):
                key = YScalar(str(key.to_python()), key.span)
            hashable = (
                key.value
                if isinstance(key.value, (str, int, float, bool, type(None)))
                else str(key.value)
            )
            if hashable in seen:
                first = seen[hashable]
                self.collector.add(
                    "duplicate-key",
                    f"duplicate key '{key.raw or key.value}' (first defined on line {first.span.line})",
                    key.span,
                    hint="Kestra rejects duplicate keys; remove or rename one of them",
                )
                continue  # keep the first, like a strict parser that stops there
            seen[hashable] = key
            pairs.append((key, self.convert(value_node)))
        for key, value in merged:  # the first merged source wins among merged ones
            if key.value not in seen:
                seen[key.value] = key
                pairs.append((key, value))
        return pairs


def _user_tag(tag: str | None) -> str | None:
    """The author's own tag (``!foo``, ``!!str``...), or None for an untagged node."""
    if not tag or tag == _IMPLICIT:
        return None
    return tag if tag[0] == "!" or tag in _EXPLICIT else None


def load(source: SourceFile, collector: Collector) -> list[Document]:
    """Compose every YAML document of the file; a syntax error is a diagnostic."""
    try:
        nodes = list(yaml.compose_all(source.text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            offset = getattr(mark, "index", 0) or 0
            span = Span(
                mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2, offset, offset
            )
        else:
            span = Span(1, 1, 1, 1)
        problem = exc.problem or str(exc)
        at = source.text[span.offset : span.offset + 1]
        hint = "YAML indentation must use spaces, not tabs" if at == "\t" else _yaml_hint(problem)
        collector.add("yaml-syntax", f"invalid YAML: {problem}", span, hint=hint)
        return []
    except yaml.YAMLError as exc:
        collector.add("yaml-syntax", f"invalid YAML: {exc}", Span(1, 1, 1, 1))
        return []
    converter = _Converter(source, collector)
    return [Document(source, converter.convert(n) if n is not None else None) for n in nodes]


def _yaml_hint(problem: str) -> str | None:
    if "found character '\\t'" in problem or "tab" in problem:
        return "YAML indentation must use spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote the value if it contains ': ', e.g. message: \"a: b\""
    if "found unexpected ':'" in problem or "could not find expected ':'" in problem:
        return "check the indentation and quote values that contain ':' or '{{'"
    if "found character '@'" in problem or "found character '`'" in problem:
        return "quote the value"
    return None


def iter_scalars(node: YNode | None, path: str = "") -> Iterator[tuple[str, YScalar]]:
    """Every scalar below ``node`` with its YAML path (``tasks[0].uri``)."""
    if node is None:
        return
    if isinstance(node, YScalar):
        yield path, node
    elif isinstance(node, YSeq):
        for i, item in enumerate(node.items):
            yield from iter_scalars(item, f"{path}[{i}]")
    elif isinstance(node, YMap):
        for key, value in node.pairs:
            name = str(key.value)
            yield from iter_scalars(value, f"{path}.{name}" if path else name)
