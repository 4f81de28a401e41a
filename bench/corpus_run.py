"""Run every corpus flow that uses only task types flowc implements, offline, and count:
SUCCESS, FAILED because it needs the network or a secret, FAILED for any other reason (our
bugs, or real bugs in the flow), and timeouts.

Each flow runs in its own network namespace with only the loopback interface (``unshare -n``,
root), so nothing can reach beyond 127.0.0.1. Not a test: prints the counts and the "other"
failures for triage.

    .venv/bin/python bench/corpus_run.py [--limit N] [--timeout S] [--show other]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compiler.pipeline import compile_flow  # noqa: E402
from runtime.flowables import HANDLERS, canonical  # noqa: E402
from runtime.tasks import implemented_types  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "public"
NETWORK = re.compile(
    r"network is unreachable|name or service not known|temporary failure in name resolution|"
    r"nodename nor servname|connecterror|connection refused|connecttimeout|failed to establish|"
    r"getaddrinfo|could not resolve|no route to host|max retries exceeded|urlopen error|"
    r"secret|kv\(|key '.*' not found in the kv store|no docker engine|cannot be pulled|"
    r"pip install|no matching distribution|could not find a version|"
    r"does not resolve|cannot connect to|failed to download extension",
    re.I,
)
#: the flow is meant to be started by a trigger (S3 objects, a webhook body...)
TRIGGERED = re.compile(r"Unable to find `trigger`|expression `\{\{ ?trigger\.", re.I)
#: the flow needs something of its authors' machines: a CLI tool, a file, a Python package
ENVIRONMENT = re.compile(
    r"exit code 127|command not found|: not found|no such file or directory|no module named|"
    r"modulenotfounderror|nsfile|namespace file|cannot access|not found \(searched --flows-dir|"
    r"expression `[^`]*\bglobals[.\[]|expression `[^`]*\benvs[.\[]|/_files/",
    re.I,
)
DUMMY = {
    "STRING": "test",
    "SECRET": "test",
    "EMAIL": "a@example.com",
    "INT": "1",
    "FLOAT": "1.5",
    "BOOLEAN": "true",
    "BOOL": "true",
    "DATETIME": "2024-01-01T00:00:00Z",
    "DATE": "2024-01-01",
    "TIME": "10:00:00",
    "DURATION": "PT1M",
    "JSON": '{"a": 1}',
    "YAML": "a: 1",
    "URI": "http://127.0.0.1.example/x",
    "ARRAY": '["a"]',
}


def runnable(compilation) -> bool:
    if compilation.errors or compilation.flow is None:
        return False
    known = implemented_types()
    for task in compilation.flow.all_tasks():
        name = canonical(task.type)
        if name not in known and name not in HANDLERS:
            return False
    return True


def inputs_for(flow, tmp: Path) -> list[str]:
    args: list[str] = []
    declared = flow.root.value("inputs") or []
    for item in declared if isinstance(declared, list) else []:
        if (
            not isinstance(item, dict)
            or item.get("defaults") is not None
            or item.get("required") is False
        ):
            continue
        kind = str(item.get("type", "STRING")).upper()
        if kind == "FILE":
            path = tmp / "input.txt"
            path.write_text("a,b\n1,2\n")
            value = str(path)
        elif kind in ("SELECT", "MULTISELECT"):
            values = item.get("values") or ["test"]
            value = str(values[0]) if kind == "SELECT" else json.dumps(values[:1])
        else:
            value = DUMMY.get(kind, "test")
        args += ["--input", f"{item.get('id') or item.get('name')}={value}"]
    return args


def run_one(path: Path, compilation, timeout: float) -> tuple[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="flowc-corpus-"))
    try:
        cmd = [
            sys.executable,
            "-m",
            "runtime.cli",
            "run",
            str(path),
            "--home",
            str(tmp / "home"),
            "--runner",
            "process",
            "-q",
            "--format",
            "json",
            "--flows-dir",
            str(CORPUS),
            *inputs_for(compilation.flow, tmp),
        ]
        if os.geteuid() == 0 and shutil.which("unshare"):
            cmd = [
                "unshare",
                "-n",
                "sh",
                "-c",
                'ip link set lo up 2>/dev/null; exec "$@"',
                "sh",
                *cmd,
            ]
        # pip can install from the machine's local package mirror even without a network:
        # a corpus flow's `pip install` must not change flowc's own environment
        env = dict(os.environ, PIP_DRY_RUN="1", PIP_NO_INDEX="1", PIP_FIND_LINKS="")
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp, env=env
            )
        except subprocess.TimeoutExpired:
            return "timeout", ""
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            text = (proc.stdout + proc.stderr)[-600:]
            return ("network-or-secret" if NETWORK.search(text) else "other"), text
        state = report["state"]
        if state in ("SUCCESS", "WARNING", "PAUSED"):
            return "success", state
        errors = " | ".join(
            t.get("error") or "" for t in report["tasks"] if t["state"] in ("FAILED", "KILLED")
        )
        logs = ""
        # every execution in this run's home: a Subflow's child fails for its own reasons
        listed = subprocess.run(
            [
                sys.executable,
                "-m",
                "runtime.cli",
                "executions",
                "--home",
                str(tmp / "home"),
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            cwd=tmp,
        ).stdout
        for execution in json.loads(listed or "[]"):
            logs += subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "runtime.cli",
                    "logs",
                    execution["id"],
                    "--home",
                    str(tmp / "home"),
                    "--level",
                    "ERROR",
                ],
                capture_output=True,
                text=True,
                cwd=tmp,
            ).stdout[-3000:]
        text = errors + " | " + logs
        if NETWORK.search(text):
            return "network-or-secret", errors[:400]
        if TRIGGERED.search(text):
            return "needs-trigger", errors[:400]
        if ENVIRONMENT.search(text):
            return "needs-environment", errors[:400]
        return "other", errors[:400] or logs[-400:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--show", default="other")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not present at {CORPUS}")
        return
    candidates = []
    for path in sorted(CORPUS.glob("*.y*ml")):
        compilation = compile_flow(path)
        if runnable(compilation):
            candidates.append((path, compilation))
    if args.limit:
        candidates = candidates[: args.limit]
    print(f"{len(candidates)} flows use only implemented task types and compile without errors")
    counts: Counter[str] = Counter()
    for path, compilation in candidates:
        kind, detail = run_one(path, compilation, args.timeout)
        counts[kind] += 1
        if kind in args.show.split(","):
            print(f"[{kind}] {path.name}: {detail.strip()[:300]}")
    print(dict(counts))


if __name__ == "__main__":
    main()
