"""Script tasks with the Process runner: real subprocesses in each task's working directory.

(The Docker runner is exercised in tests/test_tasks_seed.py, marker ``docker``.)
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from fixtures.context import make_context

from runtime.errors import TaskError
from runtime.tasks import implementation
from runtime.tasks.base import TaskContext, TaskResult
from runtime.tasks.scripts import parse_log_line, python_prelude

PY_SCRIPT = "io.kestra.plugin.scripts.python.Script"
PY_COMMANDS = "io.kestra.plugin.scripts.python.Commands"
SH_SCRIPT = "io.kestra.plugin.scripts.shell.Script"
SH_COMMANDS = "io.kestra.plugin.scripts.shell.Commands"
NODE_SCRIPT = "io.kestra.plugin.scripts.node.Script"
NODE_COMMANDS = "io.kestra.plugin.scripts.node.Commands"
PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}


def run(type_name: str, props: dict, ctx):
    return implementation(type_name)(props, ctx)


def messages(ctx, level=None):
    return [x.message for x in ctx.logs if level is None or x.level == level]


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# --------------------------------------------------------------------------- basics


def test_shell_commands_log_stdout_at_info_and_stderr_at_error(tmp_path):
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {"commands": ["echo out", "echo err >&2"]}, ctx)
    assert out == {"exitCode": 0, "vars": {}, "outputFiles": {}}
    assert "out" in messages(ctx, "INFO")
    assert "err" in messages(ctx, "ERROR")


def test_commands_run_in_the_working_directory_with_its_env(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "commands": [
            'echo "pwd=$(pwd)"',
            'echo "wd=$WORKING_DIR od=$OUTPUT_DIR"',
            'echo "greet=$GREETING py=$PYTHONUNBUFFERED"',
            "echo 'render={{ workingDir }}'",
        ],
        "env": {"GREETING": "hi {{ flow.id }}"},
    }
    run(PY_COMMANDS, props, ctx)
    workdir = str(ctx.working_dir())
    logged = messages(ctx, "INFO")
    assert f"pwd={workdir}" in logged
    wd_line = next(m for m in logged if m.startswith("wd="))
    assert wd_line.startswith(f"wd={workdir} od={workdir}/")
    assert "greet=hi test_flow py=true" in logged
    assert f"render={workdir}" in logged


def test_before_commands_run_first_and_interpreter_is_configurable(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "beforeCommands": ["X=before"],
        "commands": ['arr=(a b); echo "${arr[1]} $X"'],
        "interpreter": ["/bin/bash", "-c"],
    }
    run(SH_COMMANDS, props, ctx)
    assert "b before" in messages(ctx, "INFO")


def test_fail_fast_stops_at_the_first_failing_command(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="exit code 1"):
        run(SH_COMMANDS, {"commands": ["false", "echo after"]}, ctx)
    assert "after" not in messages(ctx)
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {"commands": ["false", "echo after"], "failFast": False}, ctx)
    assert out["exitCode"] == 0 and "after" in messages(ctx)


def test_non_zero_exit_fails_but_keeps_outputs(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "commands": [
            'echo \'::{"outputs": {"partial": 1}}::\'',
            "echo data > result.txt",
            "echo 'boom: disk full' >&2",
            "exit 3",
        ],
        "outputFiles": ["result.txt"],
    }
    with pytest.raises(TaskError) as err:
        run(SH_COMMANDS, props, ctx)
    assert str(err.value) == "command failed with exit code 3: boom: disk full"
    outputs = err.value.outputs
    assert outputs["exitCode"] == 3 and outputs["vars"] == {"partial": 1}
    assert ctx.storage.read_text(outputs["outputFiles"]["result.txt"]) == "data\n"


def test_shell_script_is_inlined_after_set_e(tmp_path):
    ctx = make_context(tmp_path, variables={"inputs": {"n": 2}})
    script = "for i in $(seq 1 {{ inputs.n }}); do echo line$i; done\nfalse\necho unreachable\n"
    with pytest.raises(TaskError, match="exit code 1"):
        run(SH_SCRIPT, {"script": script}, ctx)
    assert messages(ctx, "INFO")[-2:] == ["line1", "line2"]


def test_warning_on_stderr_gives_a_warning_result(tmp_path):
    ctx = make_context(tmp_path)
    result = run(SH_COMMANDS, {"commands": ["echo oops >&2"], "warningOnStdErr": True}, ctx)
    assert isinstance(result, TaskResult) and result.state == "WARNING"
    assert result.outputs["exitCode"] == 0


# --------------------------------------------------------------------------- log protocol


def test_protocol_lines_merge_outputs_record_metrics_and_emit_logs(tmp_path):
    ctx = make_context(tmp_path)
    lines = [
        '::{"outputs": {"a": 1, "nested": {"x": 1}}}::',
        '::{"outputs": {"b": "two", "nested": {"y": 2}}}::',
        '::{"metrics": [{"name": "rows", "type": "counter", "value": 5, "tags": {"t": "x"}},'
        ' {"name": "took", "type": "timer", "value": 1.5}]}::',
        '::{"logs": [{"level": "WARNING", "message": "careful"}, {"level": "DEBUG", "message": "dbg"}]}::',
        "::{not json}::",
        "plain text",
    ]
    props = {
        "commands": [f"echo '{line}'" for line in lines[:4]]
        + [f"echo '{lines[4]}' >&2", "echo plain text"]
    }
    out = run(SH_COMMANDS, props, ctx)
    assert out["vars"] == {"a": 1, "b": "two", "nested": {"y": 2}}  # shallow merge, last wins
    assert [(m.name, m.type, m.value, m.tags) for m in ctx.metrics] == [
        ("rows", "counter", 5.0, {"t": "x"}),
        ("took", "timer", 1.5, {}),
    ]
    logs = [(x.level, x.message) for x in ctx.logs]
    assert ("WARN", "careful") in logs and ("DEBUG", "dbg") in logs
    assert ("ERROR", "::{not json}::") in logs
    assert any(level == "WARN" and "invalid" in msg for level, msg in logs)
    assert ("INFO", "plain text") in logs
    assert not any("outputs" in msg for _, msg in logs)  # protocol lines are not logged


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('::{"outputs": {"n": 1}}::', {"outputs": {"n": 1}}),
        ("::{}::", {}),
        ('  ::{"a": 1}::', None),  # the whole line must match
        ("::[]::", None),
        ("hello", None),
    ],
)
def test_parse_log_line(line, expected):
    assert parse_log_line(line) == expected


def test_parse_log_line_rejects_bad_json():
    with pytest.raises(ValueError):
        parse_log_line("::{oops}::")


def test_the_kestra_library_works_inside_scripts(tmp_path):
    ctx = make_context(tmp_path)
    script = (
        "from kestra import Kestra\n"
        'Kestra.outputs({"n": 3})\n'
        'Kestra.counter("rows", 7, {"source": "test"})\n'
        'Kestra.logger().warning("from the logger")\n'
    )
    out = run(PY_SCRIPT, {"script": script, "taskRunner": PROCESS}, ctx)
    assert out["vars"]["n"] == 3
    assert [(m.name, m.value, m.tags) for m in ctx.metrics] == [("rows", 7.0, {"source": "test"})]
    assert any(x.level == "WARN" and x.message.endswith("from the logger") for x in ctx.logs)


# --------------------------------------------------------------------------- python specifics


def test_python_scripts_get_true_false_null(tmp_path):
    ctx = make_context(tmp_path, variables={"data": {"a": True, "b": False, "c": [None, 1]}})
    script = (
        "from __future__ import annotations\nd = {{ data }}\nprint(d['a'], d['b'], d['c'][0])\n"
    )
    run(PY_SCRIPT, {"script": script}, ctx)
    assert "True False None" in messages(ctx, "INFO")


def test_python_prelude_keeps_future_imports_first():
    text = python_prelude('"""doc"""\nfrom __future__ import annotations\nx = 1\n')
    assert text.startswith("from __future__ import annotations\ntrue = True\n")
    assert text.endswith('"""doc"""\nx = 1\n')
    assert python_prelude("x = 1") == "true = True\nfalse = False\nnull = None\nx = 1"


def test_python_and_pip_are_those_of_flowc_with_the_process_runner(tmp_path):
    import sys

    ctx = make_context(tmp_path)
    props = {"commands": ["python -c 'import sys; print(sys.prefix)'", "pip --version"]}
    run(PY_COMMANDS, props, ctx)
    logged = messages(ctx, "INFO")
    assert sys.prefix in logged
    assert any(str(Path(sys.prefix)) in m for m in logged if m.startswith("pip "))


def test_script_file_is_not_an_output_file(tmp_path):
    ctx = make_context(tmp_path)
    out = run(PY_SCRIPT, {"script": "open('a.py', 'w').write('x')", "outputFiles": ["*.py"]}, ctx)
    assert list(out["outputFiles"]) == ["a.py"]


# --------------------------------------------------------------------------- inputFiles


def test_input_files_inline_kestra_and_nsfile(tmp_path):
    nsdir = tmp_path / "project"
    (nsdir / "scripts").mkdir(parents=True)
    (nsdir / "scripts" / "helper.sh").write_text("echo helper")
    ctx = make_context(tmp_path, variables={"who": "world"}, namespace_files_dir=nsdir)
    stored = tmp_path / "stored.txt"
    stored.write_text("from storage")
    uri = ctx.put_file(stored)
    props = {
        "inputFiles": {
            "hello.txt": "hello {{ who }}",
            "sub/dir/data.txt": uri,
            "helper.sh": "nsfile:///scripts/helper.sh",
            "empty.txt": None,
        },
        "commands": [
            'echo "$(cat hello.txt)"',
            'echo "$(cat sub/dir/data.txt)"',
            "sh helper.sh",
            "wc -c < empty.txt",
        ],
    }
    run(SH_COMMANDS, props, ctx)
    assert messages(ctx, "INFO") == ["hello world", "from storage", "helper", "0"]


def test_input_files_as_a_json_string(tmp_path):
    ctx = make_context(tmp_path, variables={"files": {"a.txt": "A"}})
    run(SH_COMMANDS, {"inputFiles": "{{ files }}", "commands": ["cat a.txt"]}, ctx)
    assert "A" in messages(ctx, "INFO")


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/tmp/flowc-abs-x", "sub/../../../x"])
def test_input_files_keys_leaving_the_working_directory_are_refused(tmp_path, key):
    ctx = make_context(tmp_path)
    before = tree(tmp_path)
    props = {"inputFiles": {"ok.txt": "fine", key: "evil"}, "commands": ["echo ran"]}
    with pytest.raises(TaskError, match="outside the working directory|absolute path"):
        run(SH_COMMANDS, props, ctx)
    assert "ran" not in messages(ctx)
    after = tree(tmp_path)
    created = {p for p in after - before if not p.startswith(f"work/{ctx.working_dir().name}")}
    assert created == set()
    assert not Path("/tmp/flowc-abs-x").exists()
    assert not (ctx.working_dir() / "ok.txt").exists()  # checked before anything is written


def test_input_files_bad_values(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="cannot read 'kestra:///company/team/missing.txt'"):
        run(
            SH_COMMANDS,
            {"inputFiles": {"a": "kestra:///company/team/missing.txt"}, "commands": ["true"]},
            ctx,
        )
    with pytest.raises(TaskError, match="local file URI"):
        run(SH_COMMANDS, {"inputFiles": {"a": "file:///etc/passwd"}, "commands": ["true"]}, ctx)
    with pytest.raises(TaskError, match="must be a map"):
        run(SH_COMMANDS, {"inputFiles": ["a"], "commands": ["true"]}, ctx)


# --------------------------------------------------------------------------- outputFiles


def test_output_files_use_java_glob_semantics(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "commands": [
            "mkdir -p deep/er",
            "echo 1 > top.csv",
            "echo 2 > deep/a.csv",
            "echo 3 > deep/er/b.csv",
        ],
        "outputFiles": ["*.csv"],
    }
    out = run(SH_COMMANDS, props, ctx)
    assert list(out["outputFiles"]) == ["top.csv"]
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {**props, "outputFiles": ["**.csv"]}, ctx)
    assert sorted(out["outputFiles"]) == ["deep/a.csv", "deep/er/b.csv", "top.csv"]
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {**props, "outputFiles": ["**/*.csv"]}, ctx)
    assert sorted(out["outputFiles"]) == ["deep/a.csv", "deep/er/b.csv"]
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {**props, "outputFiles": ["deep/{a,x}.csv", "regex:.*/er/.*"]}, ctx)
    assert sorted(out["outputFiles"]) == ["deep/a.csv", "deep/er/b.csv"]


def test_output_files_are_stored_under_the_task_run(tmp_path):
    ctx = make_context(tmp_path)
    out = run(SH_COMMANDS, {"commands": ["echo x > out.txt"], "outputFiles": ["out.txt"]}, ctx)
    uri = out["outputFiles"]["out.txt"]
    assert uri.startswith(
        f"kestra:///company/team/test-flow/executions/exec1/tasks/{ctx.task_id}/{ctx.taskrun_id}/"
    )
    assert uri.endswith("-out.txt")
    assert ctx.storage.read_text(uri) == "x\n"


def test_a_glob_that_matches_nothing_fails_and_lists_the_files(tmp_path):
    ctx = make_context(tmp_path)
    props = {"commands": ["echo x > out.txt"], "outputFiles": ["out.txt", "*.csv"]}
    with pytest.raises(TaskError) as err:
        run(SH_COMMANDS, props, ctx)
    assert "outputFiles pattern '*.csv' matched no file" in str(err.value)
    assert "out.txt" in str(err.value)
    assert list(err.value.outputs["outputFiles"]) == ["out.txt"]
    assert err.value.outputs["exitCode"] == 0


def test_files_written_to_output_dir_become_output_files(tmp_path):
    ctx = make_context(tmp_path)
    props = {
        "commands": [
            "echo a > {{ outputDir }}/a.txt",
            'mkdir "$OUTPUT_DIR/d" && echo b > "$OUTPUT_DIR/d/b.txt"',
        ]
    }
    out = run(SH_COMMANDS, props, ctx)
    assert sorted(out["outputFiles"]) == ["a.txt", "d/b.txt"]
    assert ctx.storage.read_text(out["outputFiles"]["d/b.txt"]) == "b\n"


def test_kestra_uris_in_scripts_are_downloaded_and_replaced(tmp_path):
    ctx = make_context(tmp_path)
    src = tmp_path / "numbers.txt"
    src.write_text("1\n2\n")
    uri = ctx.put_file(src)
    out = run(
        SH_COMMANDS,
        {"commands": [f"wc -l < {uri}", f"echo {uri}"]},
        make_context(tmp_path, storage=ctx.storage),
    )
    assert out["exitCode"] == 0
    ctx2 = make_context(tmp_path, storage=ctx.storage, variables={"f": uri})
    run(PY_SCRIPT, {"script": "print(open('{{ f }}').read().strip().replace('\\n', ','))"}, ctx2)
    assert "1,2" in messages(ctx2, "INFO")


def test_namespace_files_are_loaded_when_enabled(tmp_path):
    nsdir = tmp_path / "project"
    (nsdir / "lib").mkdir(parents=True)
    (nsdir / "lib" / "util.py").write_text("VALUE = 41\n")
    (nsdir / "main.py").write_text("from lib.util import VALUE\nprint(VALUE + 1)\n")
    (nsdir / "notes.md").write_text("skip me")
    ctx = make_context(tmp_path, namespace_files_dir=nsdir)
    props = {
        "namespaceFiles": {"enabled": True, "include": ["lib/**", "main.py"]},
        "commands": ["python main.py", "ls notes.md || echo no-notes"],
    }
    run(PY_COMMANDS, props, ctx)
    assert "42" in messages(ctx, "INFO") and "no-notes" in messages(ctx, "INFO")


# --------------------------------------------------------------------------- runners, timeouts, node


def test_timeout_kills_the_command_and_keeps_outputs(tmp_path):
    ctx = make_context(tmp_path, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TaskError, match="killed") as err:
        run(SH_COMMANDS, {"commands": ["echo started", "sleep 30"]}, ctx)
    assert time.monotonic() - started < 10
    assert err.value.outputs["exitCode"] != 0


def test_cancel_kills_the_command(tmp_path):
    ctx = make_context(tmp_path)
    threading.Timer(0.3, ctx.cancel.set).start()
    with pytest.raises(TaskError, match="cancelled"):
        run(SH_COMMANDS, {"commands": ["sleep 30"]}, ctx)


def test_unknown_task_runner_and_bad_properties(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="unsupported taskRunner type"):
        run(SH_COMMANDS, {"commands": ["true"], "taskRunner": {"type": "io.kestra.Nope"}}, ctx)
    with pytest.raises(TaskError, match="'commands' is required"):
        run(SH_COMMANDS, {}, ctx)
    with pytest.raises(TaskError, match="'script' is required"):
        run(PY_SCRIPT, {}, ctx)
    with pytest.raises(TaskError, match="must be a map"):
        run(SH_COMMANDS, {"commands": ["true"], "env": ["A=1"]}, ctx)


def test_deprecated_runner_property_selects_process(tmp_path):
    ctx = make_context(tmp_path, runner="auto")  # the task decides
    out = run(SH_COMMANDS, {"commands": ["echo via-process"], "runner": "PROCESS"}, ctx)
    assert out["exitCode"] == 0 and "taskRunner" not in out


def test_the_run_runner_overrides_the_task(tmp_path):
    ctx = make_context(tmp_path, runner="process")  # `flowc run --runner process`
    docker = {
        "type": "io.kestra.plugin.scripts.runner.docker.Docker",
        "image": "no-such-image:1",
        "pullPolicy": "NEVER",
    }
    out = run(SH_COMMANDS, {"commands": ["echo local"], "taskRunner": docker}, ctx)
    assert out["exitCode"] == 0 and "taskRunner" not in out


def test_working_directory_is_created_and_removed_with_the_context(tmp_path):
    from runtime.storage import Storage

    ctx = TaskContext(
        namespace="company.team",
        flow_id="f",
        execution_id="e1",
        task_id="t",
        taskrun_id="r1",
        task_type=SH_COMMANDS,
        variables={},
        storage=Storage(tmp_path / "storage"),
        runner="process",
    )
    run(SH_COMMANDS, {"commands": ["echo x > f.txt"]}, ctx)
    workdir = ctx.working_dir()
    assert (workdir / "f.txt").exists()
    ctx.close()
    assert not workdir.exists()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_script_and_commands(tmp_path):
    ctx = make_context(tmp_path, variables={"n": 4})
    script = 'console.log("::" + JSON.stringify({outputs: {sq: {{ n }} * {{ n }}}}) + "::")'
    out = run(NODE_SCRIPT, {"script": script}, ctx)
    assert out["vars"] == {"sq": 16}
    ctx = make_context(tmp_path)
    out = run(NODE_COMMANDS, {"commands": ["node -e 'console.log(1 + 1)'"]}, ctx)
    assert "2" in messages(ctx, "INFO")


# --------------------------------------------------------------------------- legacy Bash

LEGACY_BASH = "io.kestra.core.tasks.scripts.Bash"


def test_legacy_bash_output_files_are_names_and_dirs(tmp_path):
    ctx = make_context(tmp_path, runner="auto")
    props = {
        "inputFiles": {"in.txt": "data"},
        "outputFiles": ["first"],
        "outputDirs": ["out"],
        "commands": [
            "cat in.txt > {{ outputFiles.first }}",
            "echo more > {{ outputDirs.out }}/more.txt",
            'echo "::{\\"outputs\\": {\\"k\\": 1}}::"',
        ],
    }
    out = run(LEGACY_BASH, props, ctx)
    assert out["exitCode"] == 0 and out["vars"] == {"k": 1}
    assert sorted(out["outputFiles"]) == ["first", "out/more.txt"]
    assert out["files"] == out["outputFiles"]
    assert ctx.storage.read_text(out["outputFiles"]["first"]) == "data"
    assert out["stdOutLineCount"] == 1 and out["stdErrLineCount"] == 0


def test_legacy_bash_exit_on_failed_and_warning_on_stderr(tmp_path):
    ctx = make_context(tmp_path)
    with pytest.raises(TaskError, match="exit code 1") as err:
        run(LEGACY_BASH, {"commands": ["false", "echo after"]}, ctx)
    assert err.value.outputs["exitCode"] == 1
    result = run(LEGACY_BASH, {"commands": ["echo warn >&2"]}, make_context(tmp_path))
    assert isinstance(result, TaskResult) and result.state == "WARNING"
    out = run(
        LEGACY_BASH,
        {"commands": ["echo warn >&2"], "warningOnStdErr": False, "interpreter": "/bin/bash"},
        make_context(tmp_path),
    )
    assert out["stdErrLineCount"] == 1
    with pytest.raises(TaskError, match="were not written"):
        run(LEGACY_BASH, {"commands": ["true"], "outputFiles": ["never"]}, make_context(tmp_path))
