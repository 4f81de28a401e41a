"""dbt-style selectors over the task graph (compiler/select.py)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from compiler.pipeline import compile_flow
from compiler.select import SelectorError, select

DATA = Path(__file__).parent / "data" / "graph"

#   extract -> transform -> load -> report
#   lookup  ------------->  load -> audit
#   notify (alone)
EDGES = [
    ("extract", "transform"),
    ("transform", "load"),
    ("lookup", "load"),
    ("load", "report"),
    ("load", "audit"),
]


@pytest.fixture
def graph() -> nx.DiGraph:
    g = nx.DiGraph(EDGES)
    g.add_node("notify")
    return g


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("load", {"load"}),
        ("+load", {"load", "transform", "extract", "lookup"}),
        ("load+", {"load", "report", "audit"}),
        ("+load+", {"load", "transform", "extract", "lookup", "report", "audit"}),
        ("1+load", {"load", "transform", "lookup"}),
        ("2+report", {"report", "load", "transform", "lookup"}),
        ("transform+1", {"transform", "load"}),
        ("extract+2", {"extract", "transform", "load"}),
        ("1+load+1", {"load", "transform", "lookup", "report", "audit"}),
        # @: the task, its descendants, and every ancestor of those (lookup comes in via load)
        ("@transform", {"transform", "load", "report", "audit", "extract", "lookup"}),
        ("@report", {"report", "load", "transform", "extract", "lookup"}),
        # union (spaces) and intersection (commas), as in dbt
        ("extract notify", {"extract", "notify"}),
        ("+transform audit+", {"transform", "extract", "audit"}),
        ("+load,transform+", {"transform", "load"}),
        # shell-style patterns
        ("*t", {"extract", "report", "audit"}),
        ("l*+", {"load", "lookup", "report", "audit"}),
        ("  load   ", {"load"}),
    ],
)
def test_selector_forms(graph: nx.DiGraph, expression: str, expected: set[str]) -> None:
    assert select(graph, expression) == expected


def test_plus_both_sides_differs_from_at(graph: nx.DiGraph) -> None:
    # +transform+ misses 'lookup' (a parent of a descendant); @transform has it
    assert "lookup" not in select(graph, "+transform+")
    assert "lookup" in select(graph, "@transform")


def test_unknown_task_suggests_a_close_name(graph: nx.DiGraph) -> None:
    with pytest.raises(SelectorError) as info:
        select(graph, "+transfrom")
    assert str(info.value) == (
        "unknown task 'transfrom' in selector '+transfrom': did you mean 'transform'?"
    )


def test_unknown_task_without_close_name(graph: nx.DiGraph) -> None:
    with pytest.raises(SelectorError, match=r"^unknown task 'zzz' in selector 'zzz'$"):
        select(graph, "load zzz")


def test_pattern_matching_nothing(graph: nx.DiGraph) -> None:
    with pytest.raises(SelectorError, match="no task matches 'q\\*'"):
        select(graph, "q*+")


@pytest.mark.parametrize("expression", ["@load+", "+", "++load", "load++", "@", "a+b"])
def test_malformed_selectors(graph: nx.DiGraph, expression: str) -> None:
    with pytest.raises(SelectorError, match="invalid selector"):
        select(graph, expression)


@pytest.mark.parametrize("expression", ["", "   "])
def test_empty_selector(graph: nx.DiGraph, expression: str) -> None:
    with pytest.raises(SelectorError, match="empty selector"):
        select(graph, expression)


def test_selector_error_is_a_value_error() -> None:
    assert issubclass(SelectorError, ValueError)


def test_depth_limits_on_a_long_chain() -> None:
    chain = nx.DiGraph([(f"t{i}", f"t{i + 1}") for i in range(1000)])
    assert select(chain, "3+t500+2") == {f"t{i}" for i in range(497, 503)}
    assert len(select(chain, "+t500")) == 501
    assert len(select(chain, "t500+")) == 501


def test_selects_on_a_compiled_flow() -> None:
    graph = compile_flow(DATA / "flowables.yaml").graph
    assert graph is not None
    # data edges reach into flowables: clean (in Parallel 'fanout') feeds load (in ForEach)
    assert select(graph.graph, "+load") == {"load", "clean", "extract"}
    # order edges count too: Dag dependsOn
    assert select(graph.graph, "chart+") == {"chart", "mail"}
    assert select(graph.graph, "notify+") == {"notify", "page"}
