"""Task runners: real processes, and a real Docker engine for the `docker` tests.

The Docker tests need an engine and the offline image built by `bash .ci/docker.sh`;
without them they skip and say why.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from runtime import runners
from runtime.runners import (
    DOCKER_TYPE,
    PROCESS_TYPE,
    DockerRunner,
    ProcessRunner,
    RunnerError,
    RunResult,
    _LineSplitter,
    docker_status,
    parse_bytes,
    parse_duration,
    runner_from_spec,
)

TEST_IMAGE = "flowc-test-python:latest"
PY = sys.executable


class Lines:
    """An on_line callback that records (stream, line) pairs."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []
        self.active = 0
        self.overlap = False
        self._lock = threading.Lock()

    def __call__(self, stream: str, line: str) -> None:
        with self._lock:
            self.active += 1
            if self.active > 1:
                self.overlap = True
        time.sleep(0)  # give another reader a chance to overlap, if it could
        self.items.append((stream, line))
        with self._lock:
            self.active -= 1

    def of(self, stream: str) -> list[str]:
        return [line for s, line in self.items if s == stream]


def run_process(argv, workdir, env=None, timeout=20.0, cancel=None):
    lines = Lines()
    res = ProcessRunner().run(
        argv, Path(workdir), env or {}, timeout=timeout, on_line=lines, cancel=cancel
    )
    return res, lines


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X")


# --------------------------------------------------------------------------- lines


def test_line_splitter_handles_chunk_boundaries_and_line_endings():
    out = []
    sp = _LineSplitter("stdout", lambda s, line: out.append(line))
    for chunk in [b"a\r", b"\nb\n\nc\r", b"d", "é".encode()[:1], "é".encode()[1:], b"\n", b"tail"]:
        sp.feed(chunk)
    sp.close()
    assert out == ["a", "b", "", "c", "dé", "tail"]


def test_line_splitter_invalid_utf8_is_replaced():
    out = []
    sp = _LineSplitter("stderr", lambda s, line: out.append((s, line)))
    sp.feed(b"ok \xff\n")
    sp.close()
    assert out == [("stderr", "ok \ufffd")]


# --------------------------------------------------------------------------- Process


def test_process_exit_codes(tmp_path):
    assert run_process(["sh", "-c", "exit 0"], tmp_path)[0] == RunResult(exit_code=0)
    res, _ = run_process(["sh", "-c", "exit 3"], tmp_path)
    assert res.exit_code == 3 and not res.killed and not res.timed_out


def test_process_env_is_worker_env_plus_task_env(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWC_FROM_WORKER", "inherited")
    res, lines = run_process(
        ["sh", "-c", 'echo "$FLOWC_FROM_WORKER/$FLOWC_TASK/$HOME"'],
        tmp_path,
        env={"FLOWC_TASK": "given", "HOME": "/overridden"},
    )
    assert res.exit_code == 0
    assert lines.of("stdout") == ["inherited/given//overridden"]


def test_process_runs_in_workdir(tmp_path):
    res, lines = run_process(["sh", "-c", "pwd; echo x > made.txt"], tmp_path)
    assert res.exit_code == 0
    assert lines.of("stdout") == [str(tmp_path)]
    assert (tmp_path / "made.txt").read_text() == "x\n"


def test_process_stdout_and_stderr_are_separated_and_ordered(tmp_path):
    code = (
        "import sys\n"
        "for i in range(300):\n"
        "    print(f'out {i}', flush=True)\n"
        "    print(f'err {i}', file=sys.stderr, flush=True)\n"
        "sys.stdout.write('no newline at end')\n"
    )
    res, lines = run_process([PY, "-c", code], tmp_path)
    assert res.exit_code == 0
    assert lines.of("stdout") == [f"out {i}" for i in range(300)] + ["no newline at end"]
    assert lines.of("stderr") == [f"err {i}" for i in range(300)]
    assert not lines.overlap, "on_line calls must not overlap"


def test_process_lines_arrive_while_running(tmp_path):
    seen_at = []
    start = time.monotonic()

    def on_line(stream, line):
        seen_at.append((line, time.monotonic() - start))

    ProcessRunner().run(
        ["sh", "-c", "echo first; sleep 1; echo second"],
        tmp_path,
        {},
        timeout=10,
        on_line=on_line,
    )
    assert [line for line, _ in seen_at] == ["first", "second"]
    assert seen_at[0][1] < 0.8, "the first line must be delivered before the command ends"


def test_process_timeout_kills_the_whole_group_quickly(tmp_path):
    start = time.monotonic()
    res, _ = run_process(
        ["sh", "-c", "sleep 30 & echo $! > child.pid; sleep 30"], tmp_path, timeout=0.5
    )
    elapsed = time.monotonic() - start
    assert res.timed_out and res.killed
    assert res.exit_code == 128 + 15  # SIGTERM
    assert elapsed < 3.0, f"took {elapsed:.1f}s"
    child = int((tmp_path / "child.pid").read_text())
    assert not pid_alive(child), "the forked child must be killed too"


def test_process_timeout_sigkills_a_group_that_ignores_sigterm(tmp_path):
    start = time.monotonic()
    script = "trap '' TERM; sleep 30 & echo $! > child.pid; while :; do sleep 0.1; done"
    res, _ = run_process(["sh", "-c", script], tmp_path, timeout=0.3)
    elapsed = time.monotonic() - start
    assert res.timed_out and res.killed
    assert res.exit_code == 128 + 9  # SIGKILL after the 2 s grace period
    assert 2.0 <= elapsed < 5.0, f"took {elapsed:.1f}s"
    assert not pid_alive(int((tmp_path / "child.pid").read_text()))


def test_process_cancel_event(tmp_path):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    res, lines = run_process(["sh", "-c", "echo started; sleep 30"], tmp_path, cancel=cancel)
    assert res.killed and not res.timed_out
    assert time.monotonic() - start < 2.0
    assert lines.of("stdout") == ["started"]


def test_process_already_cancelled_returns_at_once(tmp_path):
    cancel = threading.Event()
    cancel.set()
    start = time.monotonic()
    res, _ = run_process(["sleep", "30"], tmp_path, cancel=cancel)
    assert res.killed and time.monotonic() - start < 2.0


def test_process_background_child_holding_the_pipe_does_not_hang(tmp_path):
    start = time.monotonic()
    res, lines = run_process(
        ["sh", "-c", "sleep 30 & echo $! > child.pid; echo done"], tmp_path, timeout=20
    )
    assert res.exit_code == 0 and not res.killed
    assert lines.of("stdout") == ["done"]
    assert time.monotonic() - start < 5.0
    assert not pid_alive(int((tmp_path / "child.pid").read_text()))


def test_process_missing_command_and_workdir_are_runner_errors(tmp_path):
    with pytest.raises(RunnerError, match="command not found"):
        run_process(["flowc-no-such-command-xyz"], tmp_path)
    with pytest.raises(RunnerError, match="does not exist"):
        run_process(["true"], tmp_path / "missing")


def test_process_a_failing_callback_does_not_block_the_command(tmp_path):
    def on_line(stream, line):
        raise ValueError("boom")

    res = ProcessRunner().run(
        [PY, "-c", "print('x\\n' * 200000)"], tmp_path, {}, timeout=20, on_line=on_line
    )
    assert res.exit_code == 0 and not res.timed_out


# --------------------------------------------------------------------------- parsing


def test_parse_bytes_follows_kestra_readable_sizes():
    assert parse_bytes("512MB") == 512 * 1024**2
    assert parse_bytes("512Mb") == 512 * 1024**2
    assert parse_bytes("1gb") == 1024**3
    assert parse_bytes("64KB") == 64 * 1024
    assert parse_bytes("1048576") == 1048576
    assert parse_bytes(4096) == 4096
    for bad in ["512m", "1.5GB", "lots", "", True]:
        with pytest.raises(RunnerError, match="invalid"):
            parse_bytes(bad, "memory.memory")


def test_parse_duration():
    assert parse_duration("PT5S") == 5
    assert parse_duration("PT1M30S") == 90
    assert parse_duration("P1DT1H") == 90000
    assert parse_duration(2) == 2.0
    with pytest.raises(RunnerError):
        parse_duration("5 seconds")


# --------------------------------------------------------------------------- runner_from_spec


def test_spec_none_uses_the_default(monkeypatch):
    assert isinstance(runner_from_spec(None, default="process"), ProcessRunner)
    d = runner_from_spec(None, default="docker", container_image="python:slim")
    assert isinstance(d, DockerRunner) and d.image == "python:slim"
    assert d.pull_policy == "IF_NOT_PRESENT" and d.entry_point == [""] and d.delete


@pytest.mark.parametrize("available, kind", [(True, DockerRunner), (False, ProcessRunner)])
def test_auto_picks_docker_only_when_an_engine_answers(monkeypatch, available, kind):
    monkeypatch.setattr(runners, "docker_available", lambda timeout=2.0: available)
    assert isinstance(runner_from_spec(None, container_image="python:slim"), kind)


def test_process_spec():
    assert isinstance(runner_from_spec({"type": PROCESS_TYPE}), ProcessRunner)
    old = "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner"
    assert isinstance(runner_from_spec({"type": old}), ProcessRunner)
    with pytest.raises(RunnerError, match="has no properties"):
        runner_from_spec({"type": PROCESS_TYPE, "image": "x"})


def test_docker_spec_properties():
    spec = {
        "type": DOCKER_TYPE,
        "pullPolicy": "never",
        "cpu": {"cpus": 1.5},
        "memory": {"memory": "512MB", "memorySwap": "1GB"},
        "entryPoint": ["/bin/sh", "-c"],
        "user": "1000:1000",
        "networkMode": "host",
        "volumes": ["/tmp:/data:ro"],
        "privileged": False,
        "shmSize": "128MB",
        "delete": True,
        "killGracePeriod": "PT3S",
    }
    d = runner_from_spec(spec, container_image="python:3.13-slim")
    assert isinstance(d, DockerRunner)
    assert d.image == "python:3.13-slim"
    assert d.pull_policy == "NEVER"
    assert d.cpus == 1.5
    assert d.memory == 512 * 1024**2
    assert d.memory_options == {"memswap_limit": 1024**3}
    assert d.entry_point == ["/bin/sh", "-c"]
    assert d.user == "1000:1000" and d.network_mode == "host"
    assert d.volumes == ["/tmp:/data:ro"]
    assert d.shm_size == 128 * 1024**2
    assert d.kill_grace_period == 3.0


def test_docker_spec_image_wins_over_container_image():
    spec = {"type": DOCKER_TYPE, "image": "flowc-test-python:latest"}
    assert runner_from_spec(spec, container_image="python:slim").image == "flowc-test-python:latest"
    old = {"type": "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"}
    assert runner_from_spec(old, container_image="python:slim").image == "python:slim"


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"type": DOCKER_TYPE, "pullPolicy": "SOMETIMES"}, "invalid pullPolicy"),
        ({"type": DOCKER_TYPE, "memory": {"memory": "512m"}}, "invalid memory.memory"),
        ({"type": DOCKER_TYPE, "cpu": 2}, "invalid cpu"),
        ({"type": DOCKER_TYPE, "cpu": {"cpus": "many"}}, "invalid cpu.cpus"),
        ({"type": DOCKER_TYPE, "imagePullPolicy": "NEVER"}, "unknown property 'imagePullPolicy'"),
        ({"type": DOCKER_TYPE, "volumes": ["/only-one-path"]}, "invalid volume"),
        ({"type": "io.kestra.plugin.ee.kubernetes.runner.Kubernetes"}, "unsupported taskRunner"),
        ({"image": "x"}, "needs a type"),
    ],
)
def test_bad_specs_are_runner_errors(spec, message):
    with pytest.raises(RunnerError, match=message):
        runner_from_spec(spec, container_image="python:slim")


def test_deprecated_runner_and_docker_properties():
    assert isinstance(runner_from_spec(None, runner="PROCESS", default="docker"), ProcessRunner)
    d = runner_from_spec(
        None,
        runner="DOCKER",
        docker={"image": "flowc-test-python:latest", "pullPolicy": "NEVER"},
        container_image="python:slim",
        default="process",
    )
    assert isinstance(d, DockerRunner)
    assert d.image == "flowc-test-python:latest" and d.pull_policy == "NEVER"
    with pytest.raises(RunnerError, match="PROCESS or DOCKER"):
        runner_from_spec(None, runner="K8S")


def test_taskrunner_wins_over_deprecated_runner():
    r = runner_from_spec({"type": PROCESS_TYPE}, runner="DOCKER", container_image="python:slim")
    assert isinstance(r, ProcessRunner)


def test_force_overrides_the_task():
    spec = {"type": DOCKER_TYPE, "pullPolicy": "NEVER"}
    assert isinstance(runner_from_spec(spec, force="process"), ProcessRunner)
    d = runner_from_spec({"type": PROCESS_TYPE}, force="docker", container_image="python:slim")
    assert isinstance(d, DockerRunner) and d.image == "python:slim"
    with pytest.raises(RunnerError, match="auto, process or docker"):
        runner_from_spec(None, force="kubernetes")


def test_no_engine_is_a_clear_runner_error(tmp_path):
    host = f"unix://{tmp_path}/no-docker.sock"
    ok, why = docker_status(host=host, refresh=True)
    assert not ok
    assert why.startswith(f"no Docker engine answers at {host}")
    assert "start dockerd" in why and PROCESS_TYPE in why and "--runner process" in why
    with pytest.raises(RunnerError, match="no Docker engine answers"):
        DockerRunner("python:slim", host=host).run(
            ["true"], tmp_path, {}, timeout=5, on_line=lambda s, line: None
        )


def test_docker_runner_without_image_is_a_runner_error(tmp_path):
    with pytest.raises(RunnerError, match="needs an image"):
        DockerRunner(None).run(["true"], tmp_path, {}, timeout=5, on_line=lambda s, line: None)


# --------------------------------------------------------------------------- Docker (real engine)


@pytest.fixture(scope="module")
def engine():
    ok, why = docker_status(timeout=5, refresh=True)
    if not ok:
        pytest.skip(f"Docker engine unavailable: {why} (bash .ci/docker.sh starts one)")
    import docker

    client = docker.from_env()
    try:
        client.images.get(TEST_IMAGE)
    except docker.errors.ImageNotFound:
        client.close()
        pytest.skip(f"test image {TEST_IMAGE} is missing: bash .ci/docker.sh builds it offline")
    yield client
    client.close()


def all_container_ids(client) -> set[str]:
    # one API call: containers.list() inspects each container and races with removals
    return {c["Id"] for c in client.api.containers(all=True)}


def run_docker(workdir, argv, env=None, timeout=60.0, cancel=None, **kwargs):
    lines = Lines()
    kwargs.setdefault("pull_policy", "NEVER")
    res = DockerRunner(TEST_IMAGE, **kwargs).run(
        argv, Path(workdir), env or {}, timeout=timeout, on_line=lines, cancel=cancel
    )
    return res, lines


@pytest.mark.docker
def test_docker_runs_python_and_removes_the_container(engine, tmp_path):
    res, lines = run_docker(tmp_path, ["python3", "-c", "print(1)"])
    assert res.exit_code == 0 and not res.killed and res.container_id
    assert lines.items == [("stdout", "1")]
    assert res.container_id not in all_container_ids(engine)


@pytest.mark.docker
def test_docker_workdir_is_mounted_at_the_same_path(engine, tmp_path):
    (tmp_path / "input.txt").write_text("from host\n")
    code = (
        "import os; print(os.getcwd()); "
        "open('out.txt', 'w').write(open('input.txt').read().upper())"
    )
    res, lines = run_docker(tmp_path, ["python3", "-c", code])
    assert res.exit_code == 0, lines.items
    assert lines.of("stdout") == [str(tmp_path)]
    assert (tmp_path / "out.txt").read_text() == "FROM HOST\n"


@pytest.mark.docker
def test_docker_env_exit_code_and_streams(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWC_HOST_ONLY", "should-not-leak")
    script = 'echo "$FLOWC_TASK:${FLOWC_HOST_ONLY:-unset}"; echo oops >&2; printf last; exit 7'
    res, lines = run_docker(tmp_path, ["sh", "-c", script], env={"FLOWC_TASK": "given"})
    assert res.exit_code == 7 and not res.killed
    assert lines.of("stdout") == ["given:unset", "last"]
    assert lines.of("stderr") == ["oops"]


@pytest.mark.docker
def test_docker_many_lines_keep_order(engine, tmp_path):
    code = (
        "import sys\n"
        "for i in range(2000):\n"
        "    print(f'out {i}')\n"
        "    print(f'err {i}', file=sys.stderr)\n"
    )
    res, lines = run_docker(tmp_path, ["python3", "-u", "-c", code])
    assert res.exit_code == 0
    assert lines.of("stdout") == [f"out {i}" for i in range(2000)]
    assert lines.of("stderr") == [f"err {i}" for i in range(2000)]


@pytest.mark.docker
def test_docker_timeout_kills_and_removes_the_container(engine, tmp_path):
    before = all_container_ids(engine)
    start = time.monotonic()
    res, lines = run_docker(tmp_path, ["sh", "-c", "echo up; sleep 30"], timeout=1.5)
    elapsed = time.monotonic() - start
    assert res.timed_out and res.killed
    assert res.exit_code == 137
    assert elapsed < 8, f"took {elapsed:.1f}s"
    assert lines.of("stdout") == ["up"]
    assert res.container_id not in all_container_ids(engine)
    assert all_container_ids(engine) <= before


@pytest.mark.docker
def test_docker_cancel_event(engine, tmp_path):
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    start = time.monotonic()
    res, _ = run_docker(tmp_path, ["sleep", "30"], cancel=cancel)
    assert res.killed and not res.timed_out
    assert time.monotonic() - start < 8
    assert res.container_id not in all_container_ids(engine)


@pytest.mark.docker
def test_docker_resources_user_and_entrypoint(engine, tmp_path):
    res, lines = run_docker(
        tmp_path,
        [
            "id -u; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"
        ],
        entry_point=["/bin/sh", "-c"],
        user="1234:1234",
        cpus=0.5,
        memory="256MB",
        network_mode="none",
        delete=False,
    )
    try:
        assert res.exit_code == 0, lines.items
        assert lines.of("stdout") == ["1234", str(256 * 1024**2)]
        host_config = engine.api.inspect_container(res.container_id)["HostConfig"]
        assert host_config["NanoCpus"] == 500_000_000
        assert host_config["Memory"] == 256 * 1024**2
        assert host_config["NetworkMode"] == "none"
        assert f"{tmp_path}:{tmp_path}:rw" in host_config["Binds"]
    finally:
        engine.api.remove_container(res.container_id, force=True)


@pytest.mark.docker
def test_docker_extra_volume(engine, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("42")
    work = tmp_path / "work"
    work.mkdir()
    res, lines = run_docker(work, ["cat", "/data/data.txt"], volumes=[f"{shared}:/data:ro"])
    assert res.exit_code == 0 and lines.of("stdout") == ["42"]


@pytest.mark.docker
@pytest.mark.parametrize("policy", ["NEVER", "IF_NOT_PRESENT"])
def test_docker_missing_image_is_a_clear_runner_error(engine, tmp_path, policy):
    runner = DockerRunner("flowc-no-such-image:never", pull_policy=policy)
    with pytest.raises(RunnerError) as info:
        runner.run(["true"], tmp_path, {}, timeout=60, on_line=lambda s, line: None)
    msg = str(info.value)
    assert msg.startswith("image flowc-no-such-image:never is not present and cannot be pulled")
    assert msg.endswith(
        "build or load it, or use taskRunner type io.kestra.plugin.core.runner.Process"
    )


@pytest.mark.docker
def test_docker_bad_command_gives_an_exit_code_or_runner_error(engine, tmp_path):
    before = all_container_ids(engine)
    try:
        res, _ = run_docker(tmp_path, ["flowc-no-such-command"])
        assert res.exit_code != 0
    except RunnerError as e:
        assert "flowc-no-such-command" in str(e)
    assert all_container_ids(engine) <= before


@pytest.mark.docker
def test_docker_seed_image_tags_run_python(engine, tmp_path):
    # .ci/docker.sh tags python:slim and python:3.13-slim when absent: the seed flow's images
    for image in ["python:slim", "python:3.13-slim"]:
        lines = Lines()
        res = DockerRunner(image, pull_policy="IF_NOT_PRESENT").run(
            ["python", "-c", "import sys; print(sys.version_info[0])"],
            tmp_path,
            {},
            timeout=60,
            on_line=lines,
        )
        assert res.exit_code == 0 and lines.of("stdout") == ["3"], (image, lines.items)


@pytest.mark.docker
def test_runner_from_spec_runs_in_docker(engine, tmp_path):
    spec = {"type": DOCKER_TYPE, "pullPolicy": "NEVER", "memory": {"memory": "512MB"}}
    runner = runner_from_spec(spec, container_image=TEST_IMAGE)
    lines = Lines()
    res = runner.run(
        ["/bin/sh", "-c", "set -e\necho $WORKING_DIR"],
        tmp_path,
        {"WORKING_DIR": str(tmp_path)},
        timeout=60,
        on_line=lines,
    )
    assert res.exit_code == 0 and lines.of("stdout") == [str(tmp_path)]


def test_module_import_does_not_import_docker():
    import subprocess

    code = "import sys, runtime.runners; print('docker' in sys.modules)"
    out = subprocess.run(
        [PY, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        check=True,
    )
    assert out.stdout.strip() == "False"


@pytest.mark.docker
def test_docker_pull_always_falls_back_to_the_local_image(engine, tmp_path):
    # no image registry answers here: the pull fails, the local image is used, with a warning
    res, lines = run_docker(tmp_path, ["python3", "-c", "print('ok')"], pull_policy="ALWAYS")
    assert res.exit_code == 0 and lines.of("stdout") == ["ok"]
