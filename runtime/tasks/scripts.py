"""Script tasks: ``io.kestra.plugin.scripts.{python,shell,node}.{Script,Commands}``.

What a run does (Kestra's ``AbstractExecScript`` + ``CommandsWrapper``, KESTRA.md §2.6 and §7):

1. The task gets its own working directory (``ctx.working_dir()``, removed when the attempt
   ends) and an output directory inside it. Templates see ``{{ workingDir }}`` and
   ``{{ outputDir }}``; the command sees ``WORKING_DIR`` and ``OUTPUT_DIR``.
2. ``namespaceFiles`` then ``inputFiles`` are written there (a key leaving the directory is
   refused before anything is written).
3. The command line is ``interpreter + [script]`` where ``script`` joins ``set -e`` (``failFast``,
   default true), ``beforeCommands`` and the commands. A ``Script`` task writes its rendered script
   to a file and runs ``python <file>`` / ``node <file>``; a shell ``Script`` is inlined.
   Every ``kestra://`` URI in what is run is downloaded and replaced by its local path. Python
   scripts start with ``true = True``, ``false = False``, ``null = None`` (plugin-scripts >= 1.7),
   after any ``from __future__`` import.
4. It runs through a task runner (``runtime.runners``): the run's ``--runner process|docker``
   (``ctx.runner``) when given, else ``taskRunner``, else the deprecated ``runner``/``docker``,
   else auto (Docker when an engine answers and has the image, else Process).
   With the Process runner the directory of flowc's own interpreter comes first on ``PATH``, so
   ``python`` and ``pip`` are those of flowc's environment (where ``kestra``, ``polars`` and
   friends are installed) whatever the shell's ``PATH`` says.
5. Each output line is read: a whole line ``::{"outputs": {...}, "metrics": [...], "logs":
   [...]}::`` merges ``outputs`` into ``vars`` (shallow, last wins), records metrics and re-emits
   logs at their level; any other line is logged, stdout at INFO and stderr at ERROR.
6. Outputs: ``exitCode``, ``vars``, ``outputFiles`` (``outputFiles`` globs plus everything written
   to ``outputDir``; relative path -> ``kestra://`` URI) and, with Docker, ``taskRunner``
   (``containerId``). A non-zero exit fails the task and keeps these outputs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.errors import TaskError
from runtime.tasks.base import LEVELS, TaskContext, TaskResult
from runtime.tasks.props import Props
from runtime.tasks.workdir import (
    collect_output_files,
    input_files_map,
    load_namespace_files,
    new_output_dir,
    replace_internal_storage,
    stored_name,
    temp_name,
    write_input_files,
)

__all__ = ["TASKS", "parse_log_line", "python_prelude"]

SCRIPTS = "io.kestra.plugin.scripts"
DEFAULT_INTERPRETER = ("/bin/sh", "-c")
_PROTOCOL = re.compile(r"^::(\{.*\})::$")
_FUTURE = re.compile(r"^[ \t]*from[ \t]+__future__[ \t]+import[^\n]*\n?", re.MULTILINE)
PYTHON_PRELUDE = "true = True\nfalse = False\nnull = None\n"


@dataclass(frozen=True)
class Language:
    name: str
    image: str  # Kestra's default containerImage
    extension: str | None = None  # Script: written to a file with this extension...
    program: str | None = None  # ... and run as `<program> <file>`; None: inlined (shell)
    env: Mapping[str, str] = field(default_factory=dict)
    prelude: Callable[[str], str] | None = None


def python_prelude(script: str) -> str:
    """``true``/``false``/``null`` defined first, after any ``from __future__`` import."""
    futures = "".join(
        m.group(0) if m.group(0).endswith("\n") else m.group(0) + "\n"
        for m in _FUTURE.finditer(script)
    )
    body = _FUTURE.sub("", script) if futures else script
    return futures + PYTHON_PRELUDE + body


LANGUAGES = {
    "python": Language(
        "python",
        image="python:3.13-slim",
        extension=".py",
        program="python",
        env={
            "PYTHONUNBUFFERED": "true",
            "PIP_ROOT_USER_ACTION": "ignore",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        prelude=python_prelude,
    ),
    "shell": Language("shell", image="ubuntu"),
    "node": Language("node", image="node", extension=".js", program="node"),
}


# --------------------------------------------------------------------------- log protocol


def parse_log_line(line: str) -> dict[str, Any] | None:
    """The JSON object of a ``::{...}::`` line, or None when the line is ordinary text.

    Raises ValueError when the line has the shape but not valid JSON (or not an object).
    """
    m = _PROTOCOL.match(line.rstrip("\r\n"))
    if not m:
        return None
    data = json.loads(m.group(1))
    if not isinstance(data, dict):
        raise ValueError("the payload is not a JSON object")
    return data


class _Output:
    """Collects what a running command prints (called from the runner's reader threads)."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self.vars: dict[str, Any] = {}
        self.stdout_lines = 0
        self.stderr_lines = 0

    def __call__(self, stream: str, line: str) -> None:
        if stream == "stderr":
            self.stderr_lines += 1
        else:
            self.stdout_lines += 1
        level = "ERROR" if stream == "stderr" else "INFO"
        try:
            data = parse_log_line(line)
        except ValueError as exc:
            self.ctx.log("WARN", f"invalid '::{{...}}::' line ({exc}); logged as text")
            self.ctx.log(level, line)
            return
        if data is None:
            self.ctx.log(level, line)
            return
        self._protocol(data, line)

    def _protocol(self, data: Mapping[str, Any], line: str) -> None:
        outputs = data.get("outputs")
        if isinstance(outputs, Mapping):
            self.vars.update(outputs)
        elif outputs is not None:
            self.ctx.log("WARN", f"ignored 'outputs' that is not an object: {line}")
        for metric in data.get("metrics") or []:
            self._metric(metric)
        for entry in data.get("logs") or []:
            if isinstance(entry, Mapping):
                level = str(entry.get("level", "INFO")).upper()
                level = "WARN" if level == "WARNING" else level
                self.ctx.log(level if level in LEVELS else "INFO", str(entry.get("message", "")))

    def _metric(self, metric: Any) -> None:
        if not isinstance(metric, Mapping) or "name" not in metric:
            self.ctx.log("WARN", f"ignored a metric without a name: {metric!r}")
            return
        kind = str(metric.get("type", "counter")).lower()
        value = metric.get("value", 0)
        try:
            if isinstance(value, str):
                from runtime.tasks.props import parse_duration

                number = parse_duration(value, "timer") if kind == "timer" else float(value)
            else:
                number = float(value)
        except (TaskError, ValueError, TypeError):
            self.ctx.log("WARN", f"ignored metric '{metric['name']}' with value {value!r}")
            return
        tags = metric.get("tags") or {}
        tags = {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}
        self.ctx.metric(str(metric["name"]), kind, number, tags)


# --------------------------------------------------------------------------- running


def _process_path(env: Mapping[str, str]) -> str:
    """PATH for the Process runner: flowc's interpreter directory first."""
    base = env.get("PATH") or os.environ.get("PATH", "")
    bindir = os.path.dirname(sys.executable)
    parts = [bindir] + [p for p in base.split(os.pathsep) if p and p != bindir]
    return os.pathsep.join(parts)


def _runner(p: Props, ctx: TaskContext, language: Language) -> Any:
    from runtime.runners import RunnerError, runner_from_spec

    spec = p.raw("taskRunner")
    if spec is not None:
        if not isinstance(spec, Mapping):
            raise TaskError("property 'taskRunner' must be a map with a type")
        spec = {k: (v if k == "type" else p.render(v)) for k, v in spec.items()}
    docker = p.raw("docker")
    if docker is not None:
        if not isinstance(docker, Mapping):
            raise TaskError("property 'docker' must be a map (image, pullPolicy, ...)")
        docker = p.render(dict(docker))
    image = p.string("containerImage") or language.image
    if isinstance(docker, Mapping) and docker.get("image") and not p.has("containerImage"):
        image = str(docker["image"])
    # `--runner process|docker` (ctx.runner) wins over the task (docs/docker.md); "auto"
    # leaves the choice to the task, then to an engine that answers with the image present.
    choice = (ctx.runner or "auto").strip().lower()
    try:
        return runner_from_spec(
            spec,
            default="auto",
            container_image=image,
            runner=p.string("runner"),
            docker=docker,
            force=choice if choice in ("process", "docker") else None,
        )
    except RunnerError as exc:
        raise TaskError(str(exc)) from None


def _script_text(
    p: Props,
    ctx: TaskContext,
    workdir: Path,
    extra: Mapping[str, Any],
    language: Language,
    program: str | None,
) -> tuple[list[str], Path | None]:
    """(commands to run, the script file written or None)."""
    script = p.string("script", required=True, extra=extra)
    if script is None or not script.strip():
        raise TaskError("property 'script' is empty")
    script = replace_internal_storage(ctx, workdir, script)
    if program is None:
        return [script], None
    if language.prelude is not None:
        script = language.prelude(script)
    path = workdir / temp_name(language.extension)
    path.write_text(script, encoding="utf-8")
    return [f"{program} {shlex.quote(str(path))}"], path


def _commands(p: Props, ctx: TaskContext, workdir: Path, extra: Mapping[str, Any]) -> list[str]:
    if p.raw("commands") is None:
        raise TaskError("property 'commands' is required")
    commands = p.list("commands", extra=extra) or []
    if not commands:
        raise TaskError("property 'commands' is empty")
    return [replace_internal_storage(ctx, workdir, c) for c in commands]


def _run(
    props: dict[str, Any], ctx: TaskContext, language: Language, mode: str
) -> dict[str, Any] | TaskResult:
    from runtime.runners import ProcessRunner, RunnerError

    p = Props(props, ctx)
    runner = _runner(p, ctx, language)
    process = isinstance(runner, ProcessRunner)
    workdir = ctx.working_dir()
    output_dir = new_output_dir(workdir)
    extra = {"workingDir": str(workdir), "outputDir": str(output_dir)}

    env = {
        str(k): "" if v is None else str(v)
        for k, v in (p.map("env", extra=extra, strings=True) or {}).items()
    }
    env.update({"WORKING_DIR": str(workdir), "OUTPUT_DIR": str(output_dir)})
    for key, value in language.env.items():
        env.setdefault(key, value)
    program = language.program
    if process:
        env["PATH"] = _process_path(env)
        if program == "python" and shutil.which("python", path=env["PATH"]) is None:
            program = shlex.quote(sys.executable)

    load_namespace_files(ctx, workdir, p)
    write_input_files(ctx, workdir, input_files_map(p, "inputFiles", extra), extra)

    before = [
        replace_internal_storage(ctx, workdir, c)
        for c in (p.list("beforeCommands", extra=extra) or [])
    ]
    if language.name == "python" and p.has("dependencies"):
        dependencies = p.list("dependencies") or []
        if dependencies:
            before.insert(
                0,
                f"{program} -m pip install --quiet "
                + " ".join(shlex.quote(d) for d in dependencies),
            )
    script_file: Path | None = None
    if mode == "Script":
        commands, script_file = _script_text(p, ctx, workdir, extra, language, program)
    else:
        commands = _commands(p, ctx, workdir, extra)
    interpreter = p.list("interpreter") or list(DEFAULT_INTERPRETER)
    lines = (["set -e"] if p.boolean("failFast", True) else []) + before + commands
    argv = [*interpreter, "\n".join(lines)]
    ctx.log("DEBUG", f"running with the {runner.name} task runner in {workdir}")

    collector = _Output(ctx)
    try:
        result = runner.run(
            argv, workdir, env, timeout=ctx.remaining(), on_line=collector, cancel=ctx.cancel
        )
    except RunnerError as exc:
        raise TaskError(str(exc)) from None

    outputs: dict[str, Any] = {
        "exitCode": result.exit_code,
        "vars": collector.vars,
        "outputFiles": {},
    }
    if result.container_id:
        outputs["taskRunner"] = {"containerId": result.container_id}
    patterns = p.list("outputFiles", extra=extra) or []
    ok = result.exit_code == 0 and not result.killed
    exclude = [script_file] if script_file else []
    try:
        files = collect_output_files(ctx, workdir, patterns, strict=ok, exclude=exclude)
    except TaskError as exc:
        files = dict(getattr(exc, "outputs", {}).get("outputFiles", {}))
        files.update(_output_dir_files(ctx, output_dir))
        outputs["outputFiles"] = files
        exc.outputs = outputs  # type: ignore[attr-defined]
        raise
    files.update(_output_dir_files(ctx, output_dir))
    outputs["outputFiles"] = files

    if result.killed:
        what = "timed out" if result.timed_out else "was cancelled (timeout or kill)"
        err = TaskError(f"the command {what}; it was killed (exit code {result.exit_code})")
        err.outputs = outputs  # type: ignore[attr-defined]
        raise err
    if result.exit_code != 0:
        err = TaskError(f"command failed with exit code {result.exit_code}" + _last_error_hint(ctx))
        err.outputs = outputs  # type: ignore[attr-defined]
        raise err
    if p.boolean("warningOnStdErr", False) and collector.stderr_lines:
        return TaskResult(outputs=outputs, state="WARNING")
    return outputs


def _last_error_hint(ctx: TaskContext) -> str:
    errors = [line.message for line in ctx.logs if line.level == "ERROR" and line.message.strip()]
    if not errors:
        return ""
    last = errors[-1].strip()
    return f": {last[:300]}"


def _output_dir_files(ctx: TaskContext, output_dir: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not output_dir.is_dir():
        return out
    for root, dirs, files in os.walk(output_dir):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink() and not name.startswith("."):
                out[path.relative_to(output_dir).as_posix()] = ctx.put_file(path, stored_name(path))
    return out


def _task(language: str, mode: str) -> Callable[[dict[str, Any], TaskContext], Any]:
    lang = LANGUAGES[language]

    def run(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any] | TaskResult:
        return _run(props, ctx, lang, mode)

    run.__name__ = f"{language}_{mode.lower()}"
    run.__qualname__ = run.__name__
    return run


# --------------------------------------------------------------------------- legacy Bash

LEGACY_BASH = "io.kestra.core.tasks.scripts.Bash"


def legacy_bash(props: dict[str, Any], ctx: TaskContext) -> dict[str, Any] | TaskResult:
    """``io.kestra.core.tasks.scripts.Bash`` (Kestra < 0.17): ``commands`` run by
    ``interpreter`` + ``interpreterArgs`` (``/bin/sh -c``), ``exitOnFailed`` (``set -o
    errexit``), ``inputFiles``, ``outputFiles`` as *names* (``{{ outputFiles.<name> }}`` is a
    file path to write), ``outputDirs`` (``{{ outputDirs.<name> }}``, every file inside is
    stored), ``env``, ``runner`` (PROCESS by default, or DOCKER with ``dockerOptions``),
    ``warningOnStdErr`` (true by default: stderr output gives WARNING). Outputs ``exitCode``,
    ``vars``, ``outputFiles`` (and its old name ``files``), ``stdOutLineCount``,
    ``stdErrLineCount``."""
    from runtime.runners import RunnerError, runner_from_spec

    p = Props(props, ctx)
    workdir = ctx.working_dir()
    extra: dict[str, Any] = {"workingDir": str(workdir)}
    names = p.list("outputFiles") or []
    dirs = p.list("outputDirs") or []
    out_paths: dict[str, Path] = {}
    for name in names:
        if not re.match(r"^[A-Za-z0-9._-]+$", name):
            raise TaskError(f"outputFiles name '{name}' is not a plain file name")
        out_paths[name] = workdir / f"{name}_{secrets.token_hex(6)}"
    dir_paths: dict[str, Path] = {}
    for name in dirs:
        if not re.match(r"^[A-Za-z0-9._-]+$", name):
            raise TaskError(f"outputDirs name '{name}' is not a plain directory name")
        dir_paths[name] = workdir / name
        dir_paths[name].mkdir(parents=True, exist_ok=True)
    extra["outputFiles"] = {k: str(v) for k, v in out_paths.items()}
    extra["outputDirs"] = {k: str(v) for k, v in dir_paths.items()}

    write_input_files(ctx, workdir, input_files_map(p, "inputFiles", extra), extra)
    if p.raw("commands") is None:
        raise TaskError("property 'commands' is required")
    commands = [
        replace_internal_storage(ctx, workdir, c) for c in (p.list("commands", extra=extra) or [])
    ]
    interpreter = p.string("interpreter", "/bin/sh") or "/bin/sh"
    args = p.list("interpreterArgs") or ["-c"]
    lines = (["set -o errexit"] if p.boolean("exitOnFailed", True) else []) + commands
    argv = [interpreter, *args, "\n".join(lines)]
    env = {
        str(k): "" if v is None else str(v)
        for k, v in (p.map("env", extra=extra, strings=True) or {}).items()
    }
    docker = p.raw("dockerOptions")
    docker = p.render(dict(docker)) if isinstance(docker, Mapping) else None
    choice = (ctx.runner or "auto").strip().lower()
    try:
        runner = runner_from_spec(
            None,
            default="process",
            container_image=(docker or {}).get("image"),
            runner=p.string("runner") or "PROCESS",
            docker=docker,
            force=choice if choice in ("process", "docker") else None,
        )
    except RunnerError as exc:
        raise TaskError(str(exc)) from None
    from runtime.runners import ProcessRunner

    if isinstance(runner, ProcessRunner):
        env["PATH"] = _process_path(env)
    collector = _Output(ctx)
    try:
        result = runner.run(
            argv, workdir, env, timeout=ctx.remaining(), on_line=collector, cancel=ctx.cancel
        )
    except RunnerError as exc:
        raise TaskError(str(exc)) from None
    stored: dict[str, str] = {}
    for name, path in out_paths.items():
        if path.is_file():
            stored[name] = ctx.put_file(path)
    for name, path in dir_paths.items():
        for rel, uri in _output_dir_files(ctx, path).items():
            stored[f"{name}/{rel}"] = uri
    outputs: dict[str, Any] = {
        "exitCode": result.exit_code,
        "vars": collector.vars,
        "outputFiles": stored,
        "files": dict(stored),
        "stdOutLineCount": collector.stdout_lines,
        "stdErrLineCount": collector.stderr_lines,
    }
    if result.killed or result.exit_code != 0:
        what = (
            "was killed (timeout or kill)"
            if result.killed
            else f"failed with exit code {result.exit_code}"
        )
        err = TaskError(f"command {what}" + _last_error_hint(ctx))
        err.outputs = outputs  # type: ignore[attr-defined]
        raise err
    missing = [name for name, path in out_paths.items() if not path.is_file()]
    if missing:
        err = TaskError(
            f"outputFiles {', '.join(repr(m) for m in missing)} were not written; write them at "
            f"{{{{ outputFiles.{missing[0]} }}}}"
        )
        err.outputs = outputs  # type: ignore[attr-defined]
        raise err
    if p.boolean("warningOnStdErr", True) and collector.stderr_lines:
        return TaskResult(outputs=outputs, state="WARNING")
    return outputs


TASKS = {
    **{
        f"{SCRIPTS}.{language}.{mode}": _task(language, mode)
        for language in LANGUAGES
        for mode in ("Script", "Commands")
    },
    LEGACY_BASH: legacy_bash,
}
