"""Task runners: where a script task's command runs.

Two Kestra task runners are implemented:

* ``io.kestra.plugin.core.runner.Process`` -> :class:`ProcessRunner`: a local
  subprocess in the working directory, inheriting the worker's environment.
* ``io.kestra.plugin.scripts.runner.docker.Docker`` -> :class:`DockerRunner`: a
  container, the working directory bind-mounted at the same absolute path.

Both stream stdout and stderr line by line to an ``on_line(stream, line)``
callback, enforce a timeout and a cancel event, and return a :class:`RunResult`.
Calls to ``on_line`` come from reader threads but never overlap (a lock
serialises them), and lines of one stream keep their order.

The ``docker`` package is imported lazily so that importing this module (and
``flowc lint``) stays fast.

Every problem a user can fix (no engine, missing image, bad property...) is a
:class:`RunnerError` with a one-line message, meant to be shown without a traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import re
import signal
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROCESS_TYPE = "io.kestra.plugin.core.runner.Process"
DOCKER_TYPE = "io.kestra.plugin.scripts.runner.docker.Docker"
# Older names of the same runners, still found in flows.
PROCESS_TYPES = frozenset(
    {PROCESS_TYPE, "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner"}
)
DOCKER_TYPES = frozenset({DOCKER_TYPE, "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"})

PULL_POLICIES = ("ALWAYS", "IF_NOT_PRESENT", "NEVER")
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"

#: grace period between SIGTERM and SIGKILL for a process group
KILL_GRACE_SECONDS = 2.0
#: how long readers may still drain a pipe after the process has exited before
#: the leftovers of its process group (a backgrounded child holding the pipe) are killed
DRAIN_SECONDS = 2.0
_POLL = 0.05

OnLine = Callable[[str, str], None]


class RunnerError(Exception):
    """A problem the user can fix; the message is shown as is, without a traceback."""


@dataclass
class RunResult:
    exit_code: int
    killed: bool = False
    timed_out: bool = False
    container_id: str | None = None


class TaskRunner(ABC):
    name: str

    @abstractmethod
    def run(
        self,
        argv: list[str],
        workdir: Path,
        env: Mapping[str, str],
        *,
        timeout: float | None,
        on_line: OnLine,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        """Run ``argv`` in ``workdir`` and wait for it.

        ``on_line(stream, line)`` gets each line of "stdout" or "stderr" without its
        line ending (``\\n``, ``\\r\\n`` or a lone ``\\r``), decoded as UTF-8 with
        replacement characters. On ``timeout`` seconds or when ``cancel`` is set,
        the command is killed and the result says so (exit code 128 + signal).
        """


# --------------------------------------------------------------------------- lines


class _LineSplitter:
    """Bytes in, complete lines out; the same rules for both runners."""

    _EOL = re.compile(r"\r\n|\r|\n")

    def __init__(self, stream: str, emit: Callable[[str, str], None]):
        self.stream = stream
        self.emit = emit
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.buf = ""

    def feed(self, data: bytes) -> None:
        if not data:
            return
        text = self.buf + self.decoder.decode(data)
        hold = ""
        if text.endswith("\r"):  # maybe the first half of "\r\n": decide with the next chunk
            text, hold = text[:-1], "\r"
        parts = self._EOL.split(text)
        self.buf = parts.pop() + hold
        for line in parts:
            self.emit(self.stream, line)

    def close(self) -> None:
        rest = self.buf + self.decoder.decode(b"", final=True)
        self.buf = ""
        if rest.endswith("\r"):
            self.emit(self.stream, rest[:-1])
        elif rest:
            self.emit(self.stream, rest)


def _serialised(on_line: OnLine) -> OnLine:
    """One call at a time; a failing callback is logged, and reading goes on (a reader
    that stopped would leave the command blocked on a full pipe)."""
    lock = threading.Lock()
    failed = False

    def emit(stream: str, line: str) -> None:
        nonlocal failed
        with lock:
            try:
                on_line(stream, line)
            except Exception:
                if not failed:
                    failed = True
                    log.exception("on_line callback failed (further failures are not logged)")

    return emit


def _signal_exit_code(returncode: int) -> int:
    """Popen's -N for "killed by signal N" becomes the shell's 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


# --------------------------------------------------------------------------- Process


class ProcessRunner(TaskRunner):
    """``io.kestra.plugin.core.runner.Process``: a subprocess on this machine.

    The environment is this process's environment plus ``env`` (Kestra's Process
    runner inherits the worker's environment). The command runs in a new
    process group; on timeout or cancel the whole group gets SIGTERM, then
    SIGKILL after :data:`KILL_GRACE_SECONDS`.
    """

    name = "process"

    def __init__(self, kill_grace: float = KILL_GRACE_SECONDS):
        self.kill_grace = kill_grace

    def __repr__(self) -> str:
        return "ProcessRunner()"

    def run(
        self,
        argv: list[str],
        workdir: Path,
        env: Mapping[str, str],
        *,
        timeout: float | None,
        on_line: OnLine,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        if not argv:
            raise RunnerError("nothing to run: the command line is empty")
        workdir = Path(workdir)
        if not workdir.is_dir():
            raise RunnerError(f"working directory {workdir} does not exist")
        full_env = {**os.environ, **{str(k): str(v) for k, v in env.items()}}
        try:
            proc = subprocess.Popen(
                [str(a) for a in argv],
                cwd=workdir,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # own process group (and session): killpg reaches children
            )
        except FileNotFoundError as e:
            raise RunnerError(f"cannot run {argv[0]!r}: command not found") from e
        except PermissionError as e:
            raise RunnerError(f"cannot run {argv[0]!r}: permission denied") from e
        except OSError as e:
            raise RunnerError(f"cannot run {argv[0]!r}: {e.strerror or e}") from e

        emit = _serialised(on_line)
        readers = [
            threading.Thread(
                target=_pump,
                args=(proc.stdout, _LineSplitter("stdout", emit)),
                name=f"flowc-stdout-{proc.pid}",
                daemon=True,
            ),
            threading.Thread(
                target=_pump,
                args=(proc.stderr, _LineSplitter("stderr", emit)),
                name=f"flowc-stderr-{proc.pid}",
                daemon=True,
            ),
        ]
        for t in readers:
            t.start()

        timed_out = killed = False
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        try:
            while proc.poll() is None:
                if cancel is not None and cancel.is_set():
                    killed = True
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    timed_out = killed = True
                    break
                wait = (
                    _POLL if deadline is None else min(_POLL, max(0.0, deadline - time.monotonic()))
                )
                if cancel is not None:
                    cancel.wait(wait)
                else:
                    time.sleep(wait)
        except BaseException:
            self._kill_group(proc)
            raise

        if killed:
            self._kill_group(proc)
        proc.wait()

        # Readers end at EOF. A descendant still holding the pipes (e.g. `sleep 99 &`)
        # would keep them open: the task is over, so its process group is ended.
        _join_all(readers, DRAIN_SECONDS)
        if any(t.is_alive() for t in readers):
            _killpg(proc.pid, signal.SIGKILL)
            _join_all(readers, DRAIN_SECONDS)
        if killed:
            # a child that ignored SIGTERM and had its own pipes closed: make sure
            _killpg(proc.pid, signal.SIGKILL)
        return RunResult(
            exit_code=_signal_exit_code(proc.returncode), killed=killed, timed_out=timed_out
        )

    def _kill_group(self, proc: subprocess.Popen) -> None:
        """SIGTERM to the group; SIGKILL to whatever is left of it after the grace period."""
        _killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_grace
        while time.monotonic() < deadline:
            # poll() reaps the leader: a zombie would still count as a group member
            if proc.poll() is not None and not _group_alive(proc.pid):
                return
            time.sleep(_POLL)
        _killpg(proc.pid, signal.SIGKILL)


def _pump(pipe, splitter: _LineSplitter) -> None:
    try:
        fd = pipe.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            splitter.feed(chunk)
    except (OSError, ValueError):
        pass
    finally:
        splitter.close()
        with contextlib.suppress(OSError):
            pipe.close()


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """True while a live (non-zombie) process is in the group.

    Killed children are re-parented to PID 1, which may take a while to reap them;
    zombies still count for kill(-pgid, 0), so /proc is read where there is one."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _join_all(threads: Iterable[threading.Thread], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))


# --------------------------------------------------------------------------- Docker

_SIZE = re.compile(r"^\s*(\d+)\s*(KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_bytes(value: Any, what: str = "size") -> int:
    """A Kestra readable size: a number of bytes, or a whole number followed by
    KB, MB or GB in any case (1024-based), e.g. ``512MB``, ``1gb``, ``1048576``."""
    if isinstance(value, bool):
        raise RunnerError(f"invalid {what} {value!r}")
    if isinstance(value, int):
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise RunnerError(
            f"invalid {what} {value!r}: use a number of bytes, or a whole number followed by KB, MB or GB (e.g. 512MB)"
        )
    return int(m.group(1)) * _SIZE_UNITS[m.group(2).upper() if m.group(2) else None]


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(value: Any, what: str = "duration") -> float:
    """ISO-8601 duration (``PT5S``, ``PT1M30S``) or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise RunnerError(f"invalid {what} {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(str(value).strip())
    if not m or str(value).strip().upper() in ("P", "PT"):
        raise RunnerError(f"invalid {what} {value!r}: use an ISO-8601 duration such as PT5S")
    d, h, mi, s = (float(m.group(k) or 0) for k in "dhms")
    return d * 86400 + h * 3600 + mi * 60 + s


def _as_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RunnerError(f"invalid {what} {value!r}: expected true or false")


def _as_str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    raise RunnerError(f"invalid {what} {value!r}: expected a list of strings")


def _docker_host(host: str | None = None) -> str:
    return host or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def _no_engine_message(host: str, detail: str = "") -> str:
    why = f" ({detail})" if detail else ""
    return (
        f"no Docker engine answers at {host}{why}: start dockerd, or set taskRunner type "
        f"{PROCESS_TYPE} (or --runner process)"
    )


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
    line = text[-1] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _engine_problem(exc: BaseException) -> str:
    """Why an engine did not answer, in a few words."""
    text = str(exc)
    for needle, why in (
        ("No such file or directory", "no socket there"),
        ("Permission denied", "permission denied on the socket"),
        ("Connection refused", "connection refused"),
        ("timed out", "no answer in time"),
    ):
        if needle.lower() in text.lower():
            return why
    return _short(exc)


def _client(host: str | None, timeout: float = 60.0):
    """A docker.DockerClient for ``host`` that answers ping, or RunnerError."""
    try:
        import docker  # lazy: heavy import, and only container runs need it
    except ImportError as e:
        raise RunnerError(
            "the Python package 'docker' is not installed: pip install docker, or set taskRunner type "
            f"{PROCESS_TYPE} (or --runner process)"
        ) from e
    url = _docker_host(host)
    try:
        client = docker.DockerClient(base_url=url, timeout=timeout)
        client.ping()
    except Exception as e:  # DockerException, requests' ConnectionError, FileNotFoundError...
        raise RunnerError(_no_engine_message(url, _engine_problem(e))) from e
    return client


_AVAILABILITY: dict[str, tuple[float, bool, str]] = {}
_AVAILABILITY_TTL = 30.0


def docker_status(
    timeout: float = 2.0, *, host: str | None = None, refresh: bool = False
) -> tuple[bool, str]:
    """(True, "engine X at URL") when an engine answers ping, else (False, why).

    The answer is kept for 30 s per host (``refresh=True`` asks again)."""
    url = _docker_host(host)
    cached = _AVAILABILITY.get(url)
    now = time.monotonic()
    if cached and not refresh and now - cached[0] < _AVAILABILITY_TTL:
        return cached[1], cached[2]
    try:
        client = _client(url, timeout=timeout)
        try:
            version = client.version().get("Version", "?")
        finally:
            client.close()
        ok, why = True, f"Docker engine {version} at {url}"
    except RunnerError as e:
        ok, why = False, str(e)
    except Exception as e:
        ok, why = False, _no_engine_message(url, _short(e))
    _AVAILABILITY[url] = (now, ok, why)
    return ok, why


def docker_available(timeout: float = 2.0) -> bool:
    """True when a Docker engine answers ping (DOCKER_HOST or the default socket)."""
    return docker_status(timeout)[0]


def image_present(image: str, *, host: str | None = None) -> bool:
    """True when ``image`` is in the local image store of the engine."""
    import docker.errors

    client = _client(host, timeout=10)
    try:
        client.api.inspect_image(image)
        return True
    except docker.errors.ImageNotFound:
        return False
    finally:
        client.close()


# property name in the taskRunner spec -> DockerRunner keyword
_DOCKER_PROPS = {
    "image": "image",
    "pullPolicy": "pull_policy",
    "entryPoint": "entry_point",
    "user": "user",
    "networkMode": "network_mode",
    "volumes": "volumes",
    "extraHosts": "extra_hosts",
    "portBindings": "port_bindings",
    "privileged": "privileged",
    "shmSize": "shm_size",
    "deviceRequests": "device_requests",
    "host": "host",
    "config": "config",
    "credentials": "credentials",
    "delete": "delete",
    "wait": "wait",
    "killGracePeriod": "kill_grace_period",
    "fileHandlingStrategy": "file_handling_strategy",
    "resume": "resume",
}
_CPU_PROPS = {"cpus"}
_MEMORY_PROPS = {
    "memory": "mem_limit",
    "memorySwap": "memswap_limit",
    "memoryReservation": "mem_reservation",
    "kernelMemory": "kernel_memory",
    "memorySwappiness": "mem_swappiness",
    "oomKillDisable": "oom_kill_disable",
}
_COMMON_PROPS = {"type", "version"}


class DockerRunner(TaskRunner):
    """``io.kestra.plugin.scripts.runner.docker.Docker`` through the docker SDK.

    The working directory is bind-mounted read-write at the same absolute path and
    is the container's working directory; ``env`` is the container's whole
    environment (nothing is inherited from this process). The image's entrypoint
    is cleared by default (Kestra's ``entryPoint: [""]``), so ``argv`` is the
    command. The container is removed afterwards (also on error, timeout or
    cancel) unless ``delete`` is false.

    Differences from Kestra, by design for a local runtime: ``volumes`` need no
    ``volume-enabled`` plugin configuration; ``fileHandlingStrategy`` is always
    MOUNT (the working directory is shared, never copied into a volume);
    ``resume`` is accepted and ignored; with ``pullPolicy: ALWAYS`` a failed pull
    falls back to a local copy of the image, with a warning.
    """

    name = "docker"

    def __init__(
        self,
        image: str | None = None,
        *,
        pull_policy: str = "IF_NOT_PRESENT",
        entry_point: list[str] | None = None,
        user: str | None = None,
        cpus: float | None = None,
        memory: str | int | None = None,
        memory_options: Mapping[str, Any] | None = None,
        network_mode: str | None = None,
        volumes: list[str] | None = None,
        extra_hosts: list[str] | None = None,
        port_bindings: list[str] | None = None,
        privileged: bool = False,
        shm_size: str | int | None = None,
        device_requests: list[Mapping[str, Any]] | None = None,
        host: str | None = None,
        config: Any = None,
        credentials: Mapping[str, Any] | None = None,
        delete: bool = True,
        wait: bool = True,
        kill_grace_period: float = 0.0,
        file_handling_strategy: str | None = None,
        resume: bool | None = None,
        labels: Mapping[str, str] | None = None,
    ):
        self.image = image
        policy = str(pull_policy or "IF_NOT_PRESENT").upper()
        if policy not in PULL_POLICIES:
            raise RunnerError(
                f"invalid pullPolicy {pull_policy!r}: expected one of {', '.join(PULL_POLICIES)}"
            )
        self.pull_policy = policy
        self.entry_point = [""] if entry_point is None else _as_str_list(entry_point, "entryPoint")
        self.user = None if user is None else str(user)
        if cpus is not None:
            try:
                cpus = float(cpus)
            except (TypeError, ValueError) as e:
                raise RunnerError(
                    f"invalid cpu.cpus {cpus!r}: expected a number such as 1 or 0.5"
                ) from e
            if cpus <= 0:
                raise RunnerError(f"invalid cpu.cpus {cpus!r}: must be greater than 0")
        self.cpus = cpus
        self.memory = None if memory is None else parse_bytes(memory, "memory.memory")
        self.memory_options: dict[str, Any] = {}
        for key, value in (memory_options or {}).items():
            if key not in _MEMORY_PROPS or key == "memory":
                raise RunnerError(
                    f"unknown memory property {key!r}: expected {', '.join(sorted(_MEMORY_PROPS))}"
                )
            if value is None:
                continue
            if key == "oomKillDisable":
                self.memory_options[_MEMORY_PROPS[key]] = _as_bool(value, "memory.oomKillDisable")
            elif key == "memorySwappiness":
                self.memory_options[_MEMORY_PROPS[key]] = parse_bytes(
                    value, "memory.memorySwappiness"
                )
            else:
                self.memory_options[_MEMORY_PROPS[key]] = parse_bytes(value, f"memory.{key}")
        self.network_mode = None if network_mode is None else str(network_mode)
        self.volumes = _as_str_list(volumes, "volumes")
        for v in self.volumes:
            if ":" not in v:
                raise RunnerError(
                    f"invalid volume {v!r}: expected /host/path:/container/path[:ro|rw]"
                )
        self.extra_hosts = _as_str_list(extra_hosts, "extraHosts")
        self.port_bindings = _as_str_list(port_bindings, "portBindings")
        self.privileged = _as_bool(privileged, "privileged")
        self.shm_size = None if shm_size is None else parse_bytes(shm_size, "shmSize")
        self.device_requests = list(device_requests or [])
        self.host = host
        self.config = config
        self.credentials = dict(credentials) if credentials else None
        self.delete = _as_bool(delete, "delete")
        self.wait = _as_bool(wait, "wait")
        self.kill_grace_period = parse_duration(kill_grace_period, "killGracePeriod")
        if file_handling_strategy is not None and str(file_handling_strategy).upper() not in (
            "MOUNT",
            "VOLUME",
        ):
            raise RunnerError(
                f"invalid fileHandlingStrategy {file_handling_strategy!r}: expected MOUNT or VOLUME"
            )
        self.resume = resume
        self.labels = dict(labels or {})

    def __repr__(self) -> str:
        return f"DockerRunner(image={self.image!r}, pull_policy={self.pull_policy!r})"

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any] | None, *, container_image: str | None = None
    ) -> DockerRunner:
        """From a rendered ``taskRunner`` (or deprecated ``docker``) mapping.

        As in Kestra, the runner's ``image`` wins over the task's ``containerImage``."""
        spec = dict(spec or {})
        kwargs: dict[str, Any] = {}
        unknown = []
        for key, value in spec.items():
            if key in _COMMON_PROPS:
                continue
            if key == "cpu":
                if value is None:
                    continue
                if not isinstance(value, Mapping) or set(value) - _CPU_PROPS:
                    raise RunnerError(f"invalid cpu {value!r}: expected {{cpus: <number>}}")
                kwargs["cpus"] = value.get("cpus")
            elif key == "memory":
                if value is None:
                    continue
                if not isinstance(value, Mapping):
                    raise RunnerError(f"invalid memory {value!r}: expected {{memory: 512MB, ...}}")
                rest = {k: v for k, v in value.items() if k != "memory"}
                kwargs["memory"] = value.get("memory")
                kwargs["memory_options"] = rest
            elif key in _DOCKER_PROPS:
                if value is not None:
                    kwargs[_DOCKER_PROPS[key]] = value
            else:
                unknown.append(key)
        if unknown:
            known = sorted([*_DOCKER_PROPS, "cpu", "memory"])
            raise RunnerError(
                f"unknown property {', '.join(map(repr, unknown))} in taskRunner {DOCKER_TYPE}: "
                f"expected one of {', '.join(known)}"
            )
        if not kwargs.get("image"):
            kwargs["image"] = container_image
        return cls(**kwargs)

    # ------------------------------------------------------------------ run

    def run(
        self,
        argv: list[str],
        workdir: Path,
        env: Mapping[str, str],
        *,
        timeout: float | None,
        on_line: OnLine,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        if not self.image:
            raise RunnerError(
                f"taskRunner {DOCKER_TYPE} needs an image: set the task's containerImage "
                "(or the runner's image)"
            )
        if not argv:
            raise RunnerError("nothing to run: the command line is empty")
        workdir = Path(workdir).resolve()
        if not workdir.is_dir():
            raise RunnerError(f"working directory {workdir} does not exist")
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)

        import docker.errors
        import requests

        client = _client(self.host)
        try:
            self._ensure_image(client)
            if cancel is not None and cancel.is_set():
                return RunResult(exit_code=_signal_exit_code(-signal.SIGKILL), killed=True)
            return self._run_container(client, argv, workdir, env, deadline, on_line, cancel)
        except (docker.errors.DockerException, requests.RequestException, OSError) as e:
            raise RunnerError(f"Docker engine error running image {self.image}: {_short(e)}") from e
        finally:
            client.close()

    def _ensure_image(self, client) -> None:
        import docker.errors

        image = self.image
        try:
            client.api.inspect_image(image)
            present = True
        except docker.errors.ImageNotFound:
            present = False
        if present and self.pull_policy != "ALWAYS":
            return
        if self.pull_policy == "NEVER":
            raise RunnerError(self._missing_image(image, "pullPolicy is NEVER"))
        try:
            repo, tag = _split_image(image)
            # streamed: an error in the middle of a pull comes as a message, not an exception
            for event in client.api.pull(
                repo, tag=tag, auth_config=self._auth_config(), stream=True, decode=True
            ):
                if isinstance(event, dict) and event.get("error"):
                    raise RuntimeError(str(event["error"]))
            client.api.inspect_image(image)
        except Exception as e:
            if present:
                log.warning("pulling %s failed (%s): using the local image", image, _short(e))
                return
            raise RunnerError(self._missing_image(image, f"pull failed: {_short(e)}")) from e

    @staticmethod
    def _missing_image(image: str, why: str) -> str:
        return (
            f"image {image} is not present and cannot be pulled ({why}): build or load it, "
            f"or use taskRunner type {PROCESS_TYPE}"
        )

    def _auth_config(self) -> dict[str, str] | None:
        c = self.credentials
        if not c:
            return None
        auth = {
            "username": c.get("username"),
            "password": c.get("password"),
            "serveraddress": c.get("registry"),
            "identitytoken": c.get("identityToken"),
            "registrytoken": c.get("registryToken"),
            "auth": c.get("auth"),
        }
        return {k: str(v) for k, v in auth.items() if v}

    def _create_kwargs(
        self, client, argv: list[str], workdir: Path, env: Mapping[str, str]
    ) -> dict[str, Any]:
        import docker.types

        binds = [f"{workdir}:{workdir}:rw", *self.volumes]
        host_cfg: dict[str, Any] = {"binds": binds}
        if self.cpus is not None:
            host_cfg["nano_cpus"] = int(self.cpus * 1_000_000_000)
        if self.memory is not None:
            host_cfg["mem_limit"] = self.memory
        host_cfg.update(self.memory_options)
        if self.network_mode:
            host_cfg["network_mode"] = self.network_mode
        if self.privileged:
            host_cfg["privileged"] = True
        if self.shm_size is not None:
            host_cfg["shm_size"] = self.shm_size
        if self.extra_hosts:
            hosts: dict[str, str] = {}
            for item in self.extra_hosts:
                name, sep, addr = item.partition(":")
                if not sep:
                    raise RunnerError(f"invalid extraHosts entry {item!r}: expected hostname:ip")
                hosts[name] = addr
            host_cfg["extra_hosts"] = hosts
        ports: list[Any] = []
        if self.port_bindings:
            bindings: dict[str, Any] = {}
            for item in self.port_bindings:
                spec, _, proto = item.partition("/")
                parts = spec.split(":")
                if len(parts) == 2:
                    host_ip, host_port, cport = "", parts[0], parts[1]
                elif len(parts) == 3:
                    host_ip, host_port, cport = parts
                else:
                    raise RunnerError(
                        f"invalid portBindings entry {item!r}: expected [ip:]hostPort:containerPort[/proto]"
                    )
                key = f"{cport}/{proto or 'tcp'}"
                ports.append((int(cport), proto or "tcp"))
                bindings[key] = (host_ip, int(host_port)) if host_ip else int(host_port)
            host_cfg["port_bindings"] = bindings
        if self.device_requests:
            host_cfg["device_requests"] = [
                docker.types.DeviceRequest(
                    driver=d.get("driver") or "",
                    count=d.get("count") or 0,
                    device_ids=d.get("deviceIds"),
                    capabilities=d.get("capabilities"),
                    options=d.get("options"),
                )
                for d in self.device_requests
            ]
        labels = {"io.flowc.runner": "docker", **self.labels}
        return {
            "image": self.image,
            "command": [str(a) for a in argv],
            "entrypoint": self.entry_point,
            "working_dir": str(workdir),
            "environment": {str(k): str(v) for k, v in env.items()},
            "user": self.user,
            "labels": labels,
            "ports": ports or None,
            "host_config": client.api.create_host_config(**host_cfg),
        }

    def _run_container(self, client, argv, workdir, env, deadline, on_line, cancel) -> RunResult:
        import docker.errors

        api = client.api
        try:
            created = api.create_container(**self._create_kwargs(client, argv, workdir, env))
        except docker.errors.APIError as e:
            raise RunnerError(f"cannot create a container from {self.image}: {_short(e)}") from e
        cid = created["Id"]
        remove = self.delete
        try:
            emit = _serialised(on_line)
            # attach before start so that no output is missed
            stream = api.attach(cid, stdout=True, stderr=True, stream=True, logs=True, demux=True)
            try:
                api.start(cid)
            except docker.errors.APIError as e:
                _close_quietly(stream)
                raise RunnerError(f"cannot start a container from {self.image}: {_short(e)}") from e
            if not self.wait:
                _close_quietly(stream)
                remove = False  # it goes on running; Kestra keeps it too
                return RunResult(exit_code=0, container_id=cid)

            reader = threading.Thread(
                target=_pump_docker,
                args=(stream, emit),
                name=f"flowc-docker-{cid[:12]}",
                daemon=True,
            )
            reader.start()
            timed_out = killed = False
            while reader.is_alive():
                if cancel is not None and cancel.is_set():
                    killed = True
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    timed_out = killed = True
                    break
                reader.join(_POLL)
            if killed:
                self._kill(api, cid)
            reader.join(10.0)
            if reader.is_alive():
                _close_quietly(stream)
            status = api.wait(cid, timeout=30)
            code = int(status.get("StatusCode", -1))
            if killed and code == 0:
                code = _signal_exit_code(-signal.SIGKILL)
            return RunResult(exit_code=code, killed=killed, timed_out=timed_out, container_id=cid)
        except BaseException:
            _kill_quietly(api, cid)
            raise
        finally:
            if remove:
                try:
                    api.remove_container(cid, force=True, v=True)
                except docker.errors.NotFound:
                    pass
                except Exception as e:  # never hide the real outcome
                    log.warning("could not remove container %s: %s", cid[:12], _short(e))

    def _kill(self, api, cid: str) -> None:
        import docker.errors

        try:
            if self.kill_grace_period > 0:
                api.stop(cid, timeout=int(round(self.kill_grace_period)))
            else:
                api.kill(cid)
        except docker.errors.APIError:
            pass  # already gone or not running


def _split_image(image: str) -> tuple[str, str]:
    """ "repo[:tag][@digest]" -> (repo, tag or digest); a port in a registry host is no tag."""
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def _pump_docker(stream, emit: Callable[[str, str], None]) -> None:
    out = _LineSplitter("stdout", emit)
    err = _LineSplitter("stderr", emit)
    try:
        for item in stream:
            if isinstance(item, tuple):
                o, e = item
            else:
                o, e = item, None
            if o:
                out.feed(o)
            if e:
                err.feed(e)
    except Exception:  # stream closed under us (kill, engine gone): the wait() tells the outcome
        pass
    finally:
        out.close()
        err.close()


def _close_quietly(stream) -> None:
    with contextlib.suppress(Exception):
        stream.close()


def _kill_quietly(api, cid: str) -> None:
    with contextlib.suppress(Exception):
        api.kill(cid)


# --------------------------------------------------------------------------- choice


def _norm_choice(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    v = str(value).strip().lower()
    if v not in ("auto", "process", "docker"):
        raise RunnerError(f"invalid {what} {value!r}: expected auto, process or docker")
    return v


def runner_from_spec(
    spec: Mapping[str, Any] | None,
    *,
    default: str = "auto",
    container_image: str | None = None,
    runner: str | None = None,
    docker: Mapping[str, Any] | None = None,
    force: str | None = None,
) -> TaskRunner:
    """The runner of a script task.

    ``spec`` is the task's rendered ``taskRunner`` mapping (or None);
    ``container_image`` its ``containerImage``; ``runner`` (PROCESS|DOCKER) and
    ``docker`` (image, pullPolicy, cpu, memory, ...) its deprecated properties,
    used only when there is no ``taskRunner``.

    ``default`` applies when the task names no runner at all: "auto" (Docker when
    an engine answers, else Process), "process" or "docker". ``force`` ("process"
    or "docker", e.g. from ``--runner``) overrides whatever the task says; a
    forced Docker runner keeps the task's Docker options when it has some.
    """
    default_choice = _norm_choice(default, "default runner") or "auto"
    forced = _norm_choice(force, "runner")
    if forced == "auto":
        forced = None

    docker_spec: Mapping[str, Any] | None = None
    chosen: str | None = None
    if spec is not None:
        if not isinstance(spec, Mapping):
            raise RunnerError(f"invalid taskRunner {spec!r}: expected a mapping with a type")
        rtype = spec.get("type")
        if rtype in PROCESS_TYPES:
            extra = set(spec) - _COMMON_PROPS
            if extra:
                raise RunnerError(
                    f"unknown property {', '.join(map(repr, sorted(extra)))} in taskRunner {PROCESS_TYPE}: "
                    "it has no properties"
                )
            chosen = "process"
        elif rtype in DOCKER_TYPES:
            chosen, docker_spec = "docker", spec
        elif not rtype:
            raise RunnerError(f"taskRunner needs a type: {PROCESS_TYPE} or {DOCKER_TYPE}")
        else:
            raise RunnerError(
                f"unsupported taskRunner type {rtype}: flowc runs {PROCESS_TYPE} and {DOCKER_TYPE}"
            )
    elif runner is not None:
        r = str(runner).strip().upper()
        if r == "PROCESS":
            chosen = "process"
        elif r == "DOCKER":
            chosen, docker_spec = "docker", docker
        else:
            raise RunnerError(f"invalid runner {runner!r}: expected PROCESS or DOCKER")
    elif docker is not None and default_choice != "process":
        docker_spec = docker

    choice = forced or chosen or default_choice
    if choice == "auto":
        # Docker when an engine answers and the image is already there; otherwise the task
        # runs as a local process rather than failing on a pull (flowc runs flows locally).
        if not docker_available():
            return ProcessRunner()
        runner = DockerRunner.from_spec(docker_spec, container_image=container_image)
        return runner if image_present(runner.image) else ProcessRunner()
    if choice == "process":
        return ProcessRunner()
    return DockerRunner.from_spec(docker_spec, container_image=container_image)


__all__ = [
    "DOCKER_TYPE",
    "PROCESS_TYPE",
    "DockerRunner",
    "ProcessRunner",
    "RunResult",
    "RunnerError",
    "TaskRunner",
    "docker_available",
    "docker_status",
    "image_present",
    "parse_bytes",
    "parse_duration",
    "runner_from_spec",
]
