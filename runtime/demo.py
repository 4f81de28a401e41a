"""``make demo``: compile and draw the seed tutorial's flow, then run it offline.

The flow's API is served from a loopback HTTP server (examples/data/products.json, shaped like
dummyjson's /products), the Python task runs with the Process runner, and the DuckDB result is
previewed, as Kestra's Outputs tab would show it.
"""

from __future__ import annotations

import argparse
import http.server
import json
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "examples" / "seed_4_duckdb_process.yaml"
DATA = ROOT / "examples" / "data"


def serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = partial(_Quiet, directory=str(DATA))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/products.json"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def flowc(*args: str) -> int:
    print(f"\n$ flowc {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "runtime.cli", *args])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out", help="where pictures and the run's home go")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = out / "home"
    if flowc("compile", str(FLOW)) != 0:
        return 1
    graph_format = "svg" if shutil.which("dot") else "dot"
    flowc("graph", str(FLOW), "-o", str(out / f"seed.{graph_format}"))
    flowc("graph", str(FLOW), "--format", "mermaid", "-o", str(out / "seed.mmd"))
    server, url = serve()
    try:
        code = flowc(
            "run",
            str(FLOW),
            "--input",
            f"api_url={url}",
            "--runner",
            "process",
            "--home",
            str(home),
            "--quiet",
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "runtime.cli",
                "executions",
                "--home",
                str(home),
                "--format",
                "json",
                "--limit",
                "1",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        execution = json.loads(result.stdout)[0]["id"]
        flowc("outputs", execution, "--home", str(home))
        flowc(
            "eval",
            execution,
            "{{ outputs.api.body | jq('.products') | first | length }}",
            "--home",
            str(home),
        )
        outputs = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "runtime.cli",
                    "outputs",
                    execution,
                    "sqlQuery",
                    "--home",
                    str(home),
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        flowc("preview", outputs["sqlQuery"]["uri"], "--home", str(home))
    finally:
        server.shutdown()
    print(f"\npictures: {out}/seed.{graph_format}, {out}/seed.mmd; runs kept in {home}")
    return code


if __name__ == "__main__":
    sys.exit(main())
