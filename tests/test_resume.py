"""A run killed with SIGKILL loses nothing that had finished: `flowc resume` completes it
without running the succeeded tasks again, and their outputs stay as they were."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from runtime.cli import main


def chain_flow(side_effects: Path) -> str:
    tasks = []
    for i in range(5):
        needs = f"{{{{ outputs.t{i - 1}.vars.token }}}}" if i else "start"
        tasks.append(
            textwrap.dedent(
                f"""\
                  - id: t{i}
                    type: io.kestra.plugin.scripts.shell.Commands
                    commands:
                      - echo t{i} >> {side_effects}
                      - sleep 0.6
                      - |
                        token=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
                        echo '::{{"outputs": {{"token": "'"$token"'", "input": "{needs}"}}}}::'
                """
            )
        )
    return "id: chain\nnamespace: company.team\ntasks:\n" + "".join(tasks)


def cli(home: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--home", str(home)], catch_exceptions=False)


def test_sigkill_then_resume(tmp_path):
    side = tmp_path / "side-effects.txt"
    flow = tmp_path / "chain.yaml"
    flow.write_text(chain_flow(side))
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime.cli",
            "run",
            str(flow),
            "--home",
            str(home),
            "--runner",
            "process",
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if side.exists() and len(side.read_text().split()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    executions = json.loads(cli(home, "executions", "--format", "json").output)
    assert len(executions) == 1 and executions[0]["state"] == "RUNNING"
    execution = executions[0]["id"]
    before = json.loads(cli(home, "outputs", execution, "--format", "json").output)
    done_before = set(before)
    assert {"t0", "t1"} <= done_before and "t4" not in done_before
    runs_before = side.read_text().split()

    result = cli(home, "resume", execution, "--quiet", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["state"] == "SUCCESS"

    runs = side.read_text().split()
    # every task ran exactly once, except the one killed mid-way (run again)
    for task in done_before:
        assert runs.count(task) == 1, (task, runs)
    assert sorted(set(runs)) == [f"t{i}" for i in range(5)]
    assert len(runs) - len(runs_before) == 5 - len(done_before)

    after = json.loads(cli(home, "outputs", execution, "--format", "json").output)
    for task in done_before:
        assert after[task] == before[task]  # reused, not recomputed
    assert after["t4"]["vars"]["input"] == after["t3"]["vars"]["token"]


def test_replay_from_a_task(tmp_path):
    side = tmp_path / "side-effects.txt"
    flow = tmp_path / "chain.yaml"
    flow.write_text(chain_flow(side))
    home = tmp_path / "home"
    first = json.loads(
        cli(home, "run", str(flow), "--runner", "process", "-q", "--format", "json").output
    )
    assert first["state"] == "SUCCESS"
    result = cli(
        home,
        "run",
        str(flow),
        "--from",
        "t3",
        "--execution",
        first["execution"],
        "--runner",
        "process",
        "-q",
        "--format",
        "json",
    )
    second = json.loads(result.output)
    assert second["state"] == "SUCCESS" and second["execution"] != first["execution"]
    runs = side.read_text().split()
    assert runs.count("t0") == 1 and runs.count("t2") == 1
    assert runs.count("t3") == 2 and runs.count("t4") == 2
