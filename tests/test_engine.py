"""Kestra's execution semantics, one rule per test, on small flows (real state store, real
subprocesses). Ordering facts come from the state store's timestamps, never wall-clock
thresholds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from compiler.pipeline import compile_source
from runtime.engine import RunOptions
from runtime.errors import InputError
from runtime.runs import CompileFailed, open_home, run_flow

HEAD = "id: f\nnamespace: company.team\n"


@pytest.fixture
def home(tmp_path):
    h = open_home(tmp_path / "home")
    yield h
    h.close()


def run(home, text: str, *, inputs=None, tmp: Path | None = None, **options):
    compilation = compile_source(
        HEAD + textwrap.dedent(text), "flow.yaml", options.get("order", "data")
    )
    options.setdefault("runner", "process")
    return run_flow(compilation, inputs=inputs or {}, options=RunOptions(**options), home=home)


def states(report) -> dict[str, str]:
    return {
        t["id"] + (f"[{t['value']}]" if t.get("value") is not None else ""): t["state"]
        for t in report.tasks
    }


def times(report, task_id):
    task = next(t for t in report.tasks if t["id"] == task_id)
    return task["start"], task["end"]


def test_failure_stops_new_tasks_then_errors_then_finally(home):
    report = run(
        home,
        """
        tasks:
          - id: ok
            type: io.kestra.plugin.core.debug.Return
            format: one
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
            errorMessage: broken on purpose
          - id: never
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.boom }}"
        errors:
          - id: on_error
            type: io.kestra.plugin.core.log.Log
            message: "failed: {{ tasksWithState('failed') | length }}"
        finally:
          - id: always
            type: io.kestra.plugin.core.log.Log
            message: cleanup
        """,
        order="kestra",
    )
    assert report.state == "FAILED"
    assert states(report) == {
        "ok": "SUCCESS",
        "boom": "FAILED",
        "on_error": "SUCCESS",
        "always": "SUCCESS",
    }
    assert times(report, "on_error")[0] < times(report, "always")[0]
    boom = next(t for t in report.tasks if t["id"] == "boom")
    assert "broken on purpose" in boom["error"]
    messages = [log["message"] for log in home.state.logs(report.execution_id, task_id="boom")]
    assert sum("broken on purpose" in m for m in messages) == 1  # logged once, not twice


def test_allow_failure_becomes_warning_and_the_run_continues(home):
    report = run(
        home,
        """
        tasks:
          - id: soft
            type: io.kestra.plugin.core.execution.Fail
            allowFailure: true
          - id: next
            type: io.kestra.plugin.core.debug.Return
            format: still here
        """,
        order="kestra",
    )
    assert states(report) == {"soft": "WARNING", "next": "SUCCESS"}
    assert report.state == "WARNING"


def test_run_if_false_skips(home):
    report = run(
        home,
        """
        inputs:
          - id: go
            type: BOOLEAN
            defaults: false
        tasks:
          - id: maybe
            type: io.kestra.plugin.core.debug.Return
            format: x
            runIf: "{{ inputs.go }}"
          - id: other
            type: io.kestra.plugin.core.debug.Return
            format: y
            runIf: "False"
        """,
    )
    # Kestra's truthiness: only "false", "0", "-0" and "" are false ("False" is true)
    assert states(report) == {"maybe": "SKIPPED", "other": "SUCCESS"}
    assert report.state == "SUCCESS"


def test_retry_counts_attempts_including_the_first(home, tmp_path):
    counter = tmp_path / "count"
    report = run(
        home,
        f"""
        tasks:
          - id: flaky
            type: io.kestra.plugin.scripts.shell.Commands
            retry:
              type: constant
              interval: PT0.1S
              maxAttempts: 3
            commands:
              - echo x >> {counter}
              - test $(wc -l < {counter}) -ge 3
        """,
    )
    assert states(report) == {"flaky": "SUCCESS"}
    flaky = next(t for t in report.tasks if t["id"] == "flaky")
    assert flaky["attempts"] == 3
    assert counter.read_text().count("x") == 3


def test_retry_gives_up_after_max_attempts(home, tmp_path):
    counter = tmp_path / "count"
    report = run(
        home,
        f"""
        tasks:
          - id: hopeless
            type: io.kestra.plugin.scripts.shell.Commands
            retry:
              type: exponential
              interval: PT0.05S
              maxInterval: PT0.2S
              maxAttempts: 2
            commands:
              - echo x >> {counter}
              - exit 1
        """,
    )
    assert report.state == "FAILED"
    assert counter.read_text().count("x") == 2


def test_timeout_kills_the_task(home, tmp_path):
    marker = tmp_path / "finished"
    report = run(
        home,
        f"""
        tasks:
          - id: slow
            type: io.kestra.plugin.scripts.shell.Commands
            timeout: PT0.5S
            commands:
              - sleep 20
              - touch {marker}
        """,
    )
    assert states(report) == {"slow": "FAILED"}
    slow = next(t for t in report.tasks if t["id"] == "slow")
    assert "timeout" in slow["error"]
    assert not marker.exists()


def test_keep_going_skips_only_what_needs_the_failure(home):
    text = """
        tasks:
          - id: bad
            type: io.kestra.plugin.core.execution.Fail
          - id: needs_bad
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.bad ?? 'x' }}"
          - id: independent
            type: io.kestra.plugin.scripts.shell.Commands
            commands: ["sleep 0.3"]
          - id: after_independent
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.independent.exitCode }}"
        """
    report = run(home, text, keep_going=True)
    assert states(report) == {
        "bad": "FAILED",
        "needs_bad": "SKIPPED",
        "independent": "SUCCESS",
        "after_independent": "SUCCESS",
    }
    assert report.state == "FAILED"
    # without --keep-going, nothing new starts after the failure
    report = run(home, text)
    assert "after_independent" not in states(report)


def test_independent_tasks_run_in_parallel(home):
    report = run(
        home,
        """
        tasks:
          - id: a
            type: io.kestra.plugin.scripts.python.Script
            script: "import time; time.sleep(1)"
          - id: b
            type: io.kestra.plugin.scripts.python.Script
            script: "import time; time.sleep(1); print('{{ outputs.a.exitCode }}')"
          - id: c
            type: io.kestra.plugin.scripts.python.Script
            script: "import time; time.sleep(1); print('{{ outputs.a.exitCode }}')"
          - id: d
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.b.exitCode }}{{ outputs.c.exitCode }}"
        """,
    )
    assert report.state == "SUCCESS"
    a, b, c, d = (times(report, t) for t in "abcd")
    assert b[0] >= a[1] and c[0] >= a[1]  # after their input
    assert b[0] < c[1] and c[0] < b[1]  # the diamond's sides overlap
    assert d[0] >= max(b[1], c[1])


def test_max_workers_bounds_concurrency(home):
    tasks = "".join(
        f"""
          - id: s{i}
            type: io.kestra.plugin.scripts.shell.Commands
            commands: ["sleep 0.3"]
        """
        for i in range(12)
    )
    report = run(home, "tasks:" + tasks, max_workers=4)
    assert report.state == "SUCCESS"
    events = []
    for task in report.tasks:
        events += [(task["start"], 1), (task["end"], -1)]
    running = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    assert 2 <= peak <= 4


def test_foreach_outputs_are_keyed_by_value(home):
    report = run(
        home,
        """
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: ["a", "b", {"k": 1}]
            concurrencyLimit: 0
            tasks:
              - id: inner
                type: io.kestra.plugin.core.debug.Return
                format: "v={{ taskrun.value }}"
              - id: second
                type: io.kestra.plugin.core.debug.Return
                format: "{{ outputs.inner[taskrun.value].value }}!"
          - id: after
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.second['b'].value }}"
        """,
    )
    assert report.state == "SUCCESS", report.tasks
    outputs = home.state.outputs(report.execution_id)
    assert outputs["inner"]["a"]["value"] == "v=a"
    assert outputs["second"]['{"k":1}']["value"] == 'v={"k":1}!'
    assert outputs["after"]["value"] == "v=b!"


def test_if_and_switch_pick_a_branch(home):
    report = run(
        home,
        """
        inputs:
          - id: kind
            type: STRING
            defaults: small
        tasks:
          - id: check
            type: io.kestra.plugin.core.flow.If
            condition: "{{ inputs.kind == 'small' }}"
            then:
              - id: yes
                type: io.kestra.plugin.core.debug.Return
                format: y
            else:
              - id: no
                type: io.kestra.plugin.core.debug.Return
                format: n
          - id: route
            type: io.kestra.plugin.core.flow.Switch
            value: "{{ inputs.kind }}"
            cases:
              big:
                - id: big_task
                  type: io.kestra.plugin.core.debug.Return
                  format: b
              small:
                - id: small_task
                  type: io.kestra.plugin.core.debug.Return
                  format: s
        """,
    )
    assert states(report) == {
        "check": "SUCCESS",
        "yes": "SUCCESS",
        "route": "SUCCESS",
        "small_task": "SUCCESS",
    }
    outputs = home.state.outputs(report.execution_id)
    assert outputs["check"] == {"evaluationResult": True}
    assert outputs["route"] == {"value": "small", "defaults": False}


def test_subflow_outputs(home, tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "child.yaml").write_text(
        textwrap.dedent(
            """\
            id: child
            namespace: company.team
            inputs:
              - id: n
                type: INT
            tasks:
              - id: double
                type: io.kestra.plugin.core.debug.Return
                format: "{{ inputs.n * 2 }}"
            outputs:
              - id: result
                type: INT
                value: "{{ outputs.double.value }}"
            """
        )
    )
    report = run(
        home,
        """
        tasks:
          - id: call
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.team
            flowId: child
            inputs:
              n: 21
          - id: use
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.call.outputs.result }}"
        """,
        flows_dir=str(flows),
    )
    assert report.state == "SUCCESS", report.tasks
    outputs = home.state.outputs(report.execution_id)
    assert outputs["use"]["value"] == "42"
    child = home.state.get_execution(outputs["call"]["executionId"])
    assert child["parent_id"] == report.execution_id and child["state"] == "SUCCESS"


def test_typed_inputs_are_checked_before_anything_runs(home):
    text = """
        inputs:
          - id: n
            type: INT
          - id: when
            type: DATE
        tasks:
          - id: t
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.n + 1 }} {{ inputs.when }}"
        """
    with pytest.raises(InputError) as err:
        run(home, text, inputs={"n": "abc", "when": "2024-13-01"})
    assert "'n'" in str(err.value) and "'when'" in str(err.value)
    assert home.state.list_executions() == []
    report = run(home, text, inputs={"n": "41", "when": "2024-02-29"})
    assert home.state.outputs(report.execution_id)["t"]["value"] == "42 2024-02-29"


def test_a_flow_with_errors_does_not_run(home):
    with pytest.raises(CompileFailed, match="unknown-task"):
        run(
            home,
            "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: '{{ outputs.nope.x }}'\n",
        )


def test_flow_output_failure_fails_the_execution(home):
    report = run(
        home,
        """
        tasks:
          - id: a
            type: io.kestra.plugin.core.debug.Return
            format: x
        outputs:
          - id: n
            type: INT
            value: "{{ outputs.a.value }}"
        """,
    )
    assert report.state == "FAILED"
    assert any(
        "Failed to render output values" in log["message"]
        for log in home.state.logs(report.execution_id)
    )


def test_plugin_defaults_apply_and_forced_wins(home):
    report = run(
        home,
        """
        pluginDefaults:
          - type: io.kestra.plugin.core.debug
            values:
              format: from-defaults
          - type: io.kestra.plugin.core.log.Log
            forced: true
            values:
              message: forced
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
          - id: own
            type: io.kestra.plugin.core.debug.Return
            format: mine
          - id: l
            type: io.kestra.plugin.core.log.Log
            message: not this
        """,
    )
    outputs = home.state.outputs(report.execution_id)
    assert outputs["r"]["value"] == "from-defaults"
    assert outputs["own"]["value"] == "mine"
    assert [log["message"] for log in home.state.logs(report.execution_id, task_id="l")] == [
        "forced"
    ]


def test_secrets_are_masked_in_logs_and_outputs(home, monkeypatch):
    import base64

    monkeypatch.setenv("SECRET_API_TOKEN", base64.b64encode(b"s3cr3t-value").decode())
    report = run(
        home,
        """
        tasks:
          - id: leak
            type: io.kestra.plugin.core.log.Log
            message: "token is {{ secret('API_TOKEN') }}"
          - id: out
            type: io.kestra.plugin.core.debug.Return
            format: "{{ secret('API_TOKEN') }}"
        """,
    )
    assert report.state == "SUCCESS"
    logs = " ".join(log["message"] for log in home.state.logs(report.execution_id))
    assert "s3cr3t-value" not in logs and "******" in logs
    assert "s3cr3t-value" not in str(home.state.outputs(report.execution_id))


def test_dag_depends_on(home):
    report = run(
        home,
        """
        tasks:
          - id: dag
            type: io.kestra.plugin.core.flow.Dag
            tasks:
              - task:
                  id: first
                  type: io.kestra.plugin.scripts.shell.Commands
                  commands: ["sleep 0.2"]
              - task:
                  id: second
                  type: io.kestra.plugin.core.debug.Return
                  format: x
                dependsOn: [first]
        """,
    )
    assert report.state == "SUCCESS"
    assert times(report, "second")[0] >= times(report, "first")[1]


def test_pause_stops_the_run_until_resumed(home):
    from runtime.runs import resume

    report = run(
        home,
        """
        tasks:
          - id: before
            type: io.kestra.plugin.core.debug.Return
            format: prepared
          - id: wait_for_ok
            type: io.kestra.plugin.core.flow.Pause
          - id: after
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.before.value }} and approved"
        """,
    )
    # data order: `after` only reads `before`, but a Pause is a barrier for what follows it
    assert report.state == "PAUSED"
    assert states(report) == {"before": "SUCCESS", "wait_for_ok": "PAUSED"}
    resumed = resume(report.execution_id, home=home)
    assert resumed.state == "SUCCESS"
    assert states(resumed) == {"before": "SUCCESS", "wait_for_ok": "SUCCESS", "after": "SUCCESS"}
    assert home.state.outputs(report.execution_id)["after"]["value"] == "prepared and approved"


def test_a_failure_inside_an_allow_failure_flowable_does_not_stop_the_flow(home):
    report = run(
        home,
        """
        tasks:
          - id: tolerant
            type: io.kestra.plugin.core.flow.Sequential
            allowFailure: true
            tasks:
              - id: inner_fail
                type: io.kestra.plugin.core.execution.Fail
              - id: inner_never
                type: io.kestra.plugin.core.debug.Return
                format: x
            errors:
              - id: local_error
                type: io.kestra.plugin.core.log.Log
                message: handled locally
          - id: next
            type: io.kestra.plugin.core.debug.Return
            format: still runs
        """,
        order="kestra",
    )
    # Kestra's FinallyTest.allowFailureWithErrors: local errors run, the flowable ends WARNING
    assert states(report) == {
        "tolerant": "WARNING",
        "inner_fail": "FAILED",
        "local_error": "SUCCESS",
        "next": "SUCCESS",
    }
    assert report.state == "WARNING"


def test_loop_until_exposes_its_iteration_count(home):
    report = run(
        home,
        """
        tasks:
          - id: loop
            type: io.kestra.plugin.core.flow.LoopUntil
            condition: "{{ outputs.step.value == '3' }}"
            checkFrequency:
              interval: PT0.01S
              maxIterations: 10
            tasks:
              - id: step
                type: io.kestra.plugin.core.debug.Return
                format: "{{ outputs.loop.iterationCount }}"
        """,
    )
    assert report.state == "SUCCESS"
    outputs = home.state.outputs(report.execution_id)
    assert outputs["loop"] == {"iterationCount": 3}
    assert outputs["step"]["value"] == "3"


def test_working_directory_children_share_files(home):
    report = run(
        home,
        """
        tasks:
          - id: wd
            type: io.kestra.plugin.core.flow.WorkingDirectory
            inputFiles:
              seed.txt: "from inputFiles"
            outputFiles:
              - "*.txt"
            tasks:
              - id: write
                type: io.kestra.plugin.scripts.shell.Commands
                commands:
                  - cat seed.txt > copy.txt
                  - echo " and a shell task" >> copy.txt
              - id: read
                type: io.kestra.plugin.scripts.python.Script
                script: |
                  from kestra import Kestra
                  Kestra.outputs({"text": open("copy.txt").read().strip()})
          - id: after
            type: io.kestra.plugin.core.debug.Return
            format: "{{ read(outputs.wd.outputFiles['copy.txt']) | trim }}"
        """,
    )
    assert report.state == "SUCCESS", report.tasks
    outputs = home.state.outputs(report.execution_id)
    assert outputs["read"]["vars"]["text"] == "from inputFiles and a shell task"
    assert set(outputs["wd"]["outputFiles"]) == {"seed.txt", "copy.txt"}
    assert outputs["after"]["value"] == "from inputFiles and a shell task"


def test_parallel_concurrent_limit(home):
    tasks = "".join(
        f"""
              - id: p{i}
                type: io.kestra.plugin.scripts.shell.Commands
                commands: ["sleep 0.2"]
        """
        for i in range(6)
    )
    report = run(
        home,
        """
        tasks:
          - id: par
            type: io.kestra.plugin.core.flow.Parallel
            concurrent: 2
            tasks:"""
        + tasks,
    )
    assert report.state == "SUCCESS"
    events = []
    for task in report.tasks:
        if task["id"] != "par":
            events += [(task["start"], 1), (task["end"], -1)]
    running = peak = 0
    for _, delta in sorted(events):
        running += delta
        peak = max(peak, running)
    assert peak == 2


def test_loop_iteration_and_correlation_label(home):
    report = run(
        home,
        """
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: ["x", "y"]
            tasks:
              - id: show
                type: io.kestra.plugin.core.debug.Return
                format: "{{ taskrun.value }}#{{ taskrun.iteration }}"
          - id: corr
            type: io.kestra.plugin.core.debug.Return
            format: "{{ labels.system.correlationId }}"
        """,
    )
    outputs = home.state.outputs(report.execution_id)
    assert outputs["show"]["x"]["value"] == "x#0" and outputs["show"]["y"]["value"] == "y#1"
    assert outputs["corr"]["value"] == report.execution_id


def test_flow_labels_reach_expressions(home):
    report = run(
        home,
        """
        labels:
          team: data
          env.name: prod
        tasks:
          - id: show
            type: io.kestra.plugin.core.debug.Return
            format: "{{ labels.team }}/{{ labels.env.name }}"
        """,
    )
    assert home.state.outputs(report.execution_id)["show"]["value"] == "data/prod"
