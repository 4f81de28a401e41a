"""A third-party task type registered through the ``flowc.tasks`` entry point group is known
to the compiler (its properties and outputs are checked) and runs (real subprocesses, a real
installed distribution on sys.path)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PLUGIN = textwrap.dedent(
    """\
    from compiler.catalog import OutputDecl, Prop, TaskType

    def shout(props, ctx):
        text = ctx.render(props["text"])
        ctx.log("INFO", "shouting")
        return {"loud": text.upper()}

    shout.declaration = TaskType(
        type="com.example.Shout",
        family="other",
        properties={"text": Prop("text", required=True, type="string")},
        outputs=(OutputDecl("loud"),),
    )
    """
)
FLOW = textwrap.dedent(
    """\
    id: plugin
    namespace: company.team
    tasks:
      - id: shout
        type: com.example.Shout
        text: "hello {{ flow.id }}"
      - id: echo
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.shout.loud }}"
    """
)


def install(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "flowc_shout.py").write_text(PLUGIN)
    info = site / "flowc_shout-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flowc-shout\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[flowc.tasks]\nshout = flowc_shout:shout\n")
    return site


def flowc(site, *args, cwd):
    import os

    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_plugin_type_is_checked_and_runs(tmp_path):
    site = install(tmp_path)
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW)
    lint = flowc(site, "lint", str(flow), "--format", "json", cwd=tmp_path)
    assert json.loads(lint.stdout)["diagnostics"] == [], lint.stdout + lint.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        FLOW.replace("outputs.shout.loud", "outputs.shout.quiet").replace("text:", "txt:")
    )
    codes = {
        d["code"]
        for d in json.loads(flowc(site, "lint", str(bad), "--format", "json", cwd=tmp_path).stdout)[
            "diagnostics"
        ]
    }
    assert codes == {"unknown-output", "unknown-property", "missing-property"}

    run = flowc(
        site,
        "run",
        str(flow),
        "--home",
        str(tmp_path / "home"),
        "-q",
        "--format",
        "json",
        cwd=tmp_path,
    )
    report = json.loads(run.stdout)
    assert report["state"] == "SUCCESS", run.stdout + run.stderr
    outputs = json.loads(
        flowc(
            site,
            "outputs",
            report["execution"],
            "--home",
            str(tmp_path / "home"),
            "--format",
            "json",
            cwd=tmp_path,
        ).stdout
    )
    assert outputs["echo"]["value"] == "HELLO PLUGIN"
