"""Every example flow compiles clean and, where it runs offline, runs to its expected state;
the broken example reports each of its mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.lint import lint
from runtime.engine import RunOptions
from runtime.runs import open_home, run_flow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLEAN = sorted(p for p in EXAMPLES.rglob("*.yaml") if "broken" not in p.parts)


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_lints_clean(path):
    result = lint([path])
    assert result.internal_errors == []
    assert [d.message for d in result.diagnostics] == []


@pytest.mark.parametrize(
    ("name", "state", "flows_dir"),
    [
        ("fan_out_fan_in.yaml", "SUCCESS", None),
        ("flowables.yaml", "SUCCESS", None),
        ("retry_and_timeout.yaml", "WARNING", None),
        ("kv_store.yaml", "SUCCESS", None),
        ("subflows/parent.yaml", "SUCCESS", "subflows"),
    ],
)
def test_example_runs(tmp_path, name, state, flows_dir):
    home = open_home(tmp_path / "home")
    options = RunOptions(
        runner="process", flows_dir=str(EXAMPLES / flows_dir) if flows_dir else None
    )
    report = run_flow(EXAMPLES / name, options=options, home=home)
    assert report.state == state, report.tasks
    home.close()


def test_fan_out_runs_the_regions_together(tmp_path):
    home = open_home(tmp_path / "home")
    report = run_flow(
        EXAMPLES / "fan_out_fan_in.yaml", options=RunOptions(runner="process"), home=home
    )
    spans = {t["id"]: (t["start"], t["end"]) for t in report.tasks}
    regions = [spans[f"region_{r}"] for r in ("emea", "amer", "apac")]
    assert max(start for start, _ in regions) < min(end for _, end in regions)  # all three overlap
    assert spans["report"][0] >= max(end for _, end in regions)
    assert report.outputs == {"apac": 30}
    home.close()


def test_broken_example_reports_every_mistake():
    result = lint([EXAMPLES / "broken" / "typos.yaml"])
    found = sorted((d.span.line, d.code) for d in result.diagnostics)
    assert found == [
        (12, "unknown-input"),
        (16, "hyphen-dot-access"),
        (16, "unknown-output"),
        (27, "unknown-output-file"),
        (33, "unknown-filter"),
        (33, "unknown-output"),
    ]
