"""Script plugins: ``io.kestra.plugin.scripts.*`` (kestra-io/plugin-scripts) and the
deprecated ``io.kestra.core.tasks.scripts.*``.

Sources: kestra ``script/.../exec/AbstractExecScript.java``, ``ScriptOutput.java``,
plugin-scripts ``AbstractPythonExecScript.java``, ``runner/docker/Docker.java``; KESTRA.md §2.6.
"""

from __future__ import annotations

from compiler.catalog_data._dsl import O, P, T

SCRIPTS = "io.kestra.plugin.scripts"

# AbstractExecScript (Kestra 1.x), shared by every language's Script and Commands.
EXEC_PROPS = (
    P(
        "taskRunner",
        "object",
        dyn=False,
        desc="default: io.kestra.plugin.scripts.runner.docker.Docker",
    ),
    P("containerImage", "string"),
    P("beforeCommands", "list"),
    P("env", "map"),
    P("interpreter", "list", default=("/bin/sh", "-c")),
    P("failFast", "boolean", default=True),
    P("namespaceFiles", "object"),
    P("inputFiles", "any", desc="a map of name to content or URI, or a JSON string"),
    P("outputFiles", "list", desc="Java NIO globs relative to the working directory"),
    P("targetOS", "string", default="AUTO"),
    P("warningOnStdErr", "boolean", dep=True),
    P("runner", "string", dep=True, desc="PROCESS or DOCKER; use taskRunner"),
    P("docker", "object", dep=True, desc="use taskRunner"),
    P("outputDirectory", "boolean", dep=True),
)

PYTHON_PROPS = (
    P("dependencies", "list"),
    P("pythonVersion", "string"),
    P("dependencyCacheEnabled", "boolean", default=True),
    P("packageManager", "string", default="UV"),
    P("uvAutoInstallEnabled", "boolean", default=True),
    P("uvInstallerVersion", "string"),
    P("uvInstallerSha256", "string"),
)

SCRIPT = P("script", "string", req=True)
COMMANDS = P("commands", "list", req=True)

# ScriptOutput: stdOutLineCount/stdErrLineCount are @JsonIgnore.
SCRIPT_OUTPUTS = (
    O("exitCode"),
    O("vars", open=True, desc='values emitted with ::{"outputs": {...}}::'),
    O("outputFiles", open=True, desc="relative path -> kestra:// URI"),
    O("taskRunner", open=True, desc="runner details, e.g. containerId"),
)


def _script(language: str, name: str, own: tuple, *, closed: bool = True):
    return T(
        f"{SCRIPTS}.{language}.{name}",
        (*EXEC_PROPS, *own),
        SCRIPT_OUTPUTS,
        family="script",
        closed=closed,
        output_files="globs",
    )


LANGUAGES = (
    _script("python", "Script", (*PYTHON_PROPS, SCRIPT)),
    _script("python", "Commands", (*PYTHON_PROPS, COMMANDS)),
    _script("shell", "Script", (SCRIPT,)),
    _script("shell", "Commands", (COMMANDS,)),
    _script("node", "Script", (SCRIPT,)),
    _script("node", "Commands", (COMMANDS,)),
    # Other languages share AbstractExecScript; their extra properties are not all known here.
    *(
        _script(language, name, (SCRIPT if name == "Script" else COMMANDS,), closed=False)
        for language in (
            "r",
            "julia",
            "ruby",
            "powershell",
            "deno",
            "bun",
            "php",
            "lua",
            "perl",
            "go",
            "groovy",
        )
        for name in ("Script", "Commands")
    ),
)

# Deprecated JVM script tasks (nashorn, groovy, jython): Eval and FileTransform.
JVM = tuple(
    declaration
    for language in ("nashorn", "groovy", "jython")
    for declaration in (
        T(
            f"{SCRIPTS}.{language}.Eval",
            (SCRIPT, P("outputs", "list")),
            family="script",
            closed=False,
            outputs_open=True,
        ),
        T(
            f"{SCRIPTS}.{language}.FileTransform",
            (SCRIPT, P("from", "string", req=True)),
            (O("uri"),),
            family="script",
            closed=False,
        ),
    )
)

# Task runners (kind=runner): the value of a script task's `taskRunner`.
RUNNERS = (
    T(
        f"{SCRIPTS}.runner.docker.Docker",
        (
            P("host", "string"),
            P("config", "any"),
            P("credentials", "object"),
            P("image", "string"),
            P("user", "string"),
            P("entryPoint", "list"),
            P("extraHosts", "list"),
            P("networkMode", "string"),
            P("volumes", "list"),
            P("pullPolicy", "string", default="IF_NOT_PRESENT"),
            P("deviceRequests", "list"),
            P("cpu", "object"),
            P("memory", "object"),
            P("shmSize", "string"),
            P("privileged", "boolean"),
            P("fileHandlingStrategy", "string", default="VOLUME"),
            P("delete", "boolean", default=True),
            P("resume", "boolean", default=True),
            P("killGracePeriod", "duration"),
            P("wait", "boolean", default=True),
        ),
        kind="runner",
        closed=False,
    ),
)

# io.kestra.core.tasks.scripts.* (removed in 0.17): outputs were ScriptOutput-like.
LEGACY_OUTPUTS = (
    O("exitCode"),
    O("vars", open=True),
    O("outputFiles", open=True),
    O("files", open=True),
    O("stdOutLineCount"),
    O("stdErrLineCount"),
)
LEGACY = tuple(
    T(
        f"io.kestra.core.tasks.scripts.{name}",
        (
            P("commands", "list"),
            P("inputFiles", "any"),
            P("outputFiles", "list"),
            P("outputDirs", "list"),
            P("interpreter", "string"),
            P("interpreterArgs", "list"),
            P("exitOnFailed", "boolean", default=True),
            P("env", "map"),
            P("runner", "string"),
            P("dockerOptions", "object"),
            P("warningOnStdErr", "boolean"),
            *(
                (P("requirements", "list"), P("args", "list"), P("virtualEnv", "boolean"))
                if name == "Python"
                else ()
            ),
            *((P("npmInstall", "list"), P("args", "list")) if name == "Node" else ()),
        ),
        LEGACY_OUTPUTS,
        family="script",
        closed=False,
        outputs_open=True,
        output_files="names",
    )
    for name in ("Bash", "Python", "Node")
)

TYPES = (*LANGUAGES, *JVM, *RUNNERS, *LEGACY)
