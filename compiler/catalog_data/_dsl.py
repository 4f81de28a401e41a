"""Small constructors that keep the declarations in this package short and readable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from compiler.catalog import OutputDecl, Prop, TaskType

__all__ = ["O", "P", "T", "merge"]


def P(
    name: str,
    type: str = "any",
    *,
    req: bool = False,
    default: object = None,
    dyn: bool = True,
    dep: bool = False,
    desc: str = "",
) -> Prop:
    """A property. ``req`` means it must be written in the flow (no default)."""
    return Prop(
        name,
        required=req,
        type=type,
        default=default,
        dynamic=dyn,
        deprecated=dep,
        description=desc,
    )


def O(  # noqa: E743 - reads like the declaration it is
    name: str,
    *,
    open: bool = False,
    when: Mapping[str, tuple] | None = None,
    desc: str = "",
) -> OutputDecl:
    """An output attribute."""
    return OutputDecl(name, when=when, open=open, description=desc)


def merge(*groups: Iterable[Prop]) -> tuple[Prop, ...]:
    """Concatenate property groups; a later property of the same name replaces an earlier one."""
    by_name: dict[str, Prop] = {}
    for group in groups:
        for prop in group:
            by_name[prop.name] = prop
    return tuple(by_name.values())


def T(
    type: str,
    props: Iterable[Prop] = (),
    outputs: Iterable[OutputDecl] = (),
    *,
    aliases: Iterable[str] = (),
    kind: str = "runnable",
    family: str = "other",
    closed: bool = True,
    children: Iterable[str] = (),
    outputs_open: bool = False,
    output_files: str | None = None,
) -> TaskType:
    """A task type."""
    return TaskType(
        type=type,
        aliases=tuple(aliases),
        kind=kind,
        family=family,
        properties={p.name: p for p in merge(props)},
        outputs=tuple(outputs),
        outputs_open=outputs_open,
        closed=closed,
        child_task_fields=tuple(children),
        output_files=output_files,
    )
