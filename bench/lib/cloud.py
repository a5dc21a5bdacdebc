"""6. Cloud path: bench/cloud-throughput.py (the daemon against upscaled-fake-api, 1 s responses)."""

import os
import subprocess
import sys

from .common import REPO, loadavg, log


def bench_cloud(ctx):
    bindir = os.path.dirname(ctx.binary)
    script = os.path.join(REPO, "bench", "cloud-throughput.py")
    if not os.path.exists(script) or not os.access(os.path.join(bindir, "upscaled-fake-api"), os.X_OK):
        ctx.results["cloud"] = dict(skipped=f"not measured: needs {os.path.relpath(script, REPO)} and "
                                            f"upscaled-fake-api next to the daemon binary ({bindir})")
        return
    cmd = [sys.executable, script, "--bin", bindir, "--files", str(ctx.p["cloud_files"])]
    load0 = loadavg()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    table_md = r.stdout.strip()
    if not table_md.startswith("|"):
        ctx.problems.append(f"cloud: {os.path.basename(script)} printed no table (exit {r.returncode}): "
                            f"{r.stderr.strip()[-300:]}")
    elif r.returncode != 0:
        ctx.problems.append(f"cloud: {os.path.basename(script)} reports a missed target or missing results "
                            f"(exit {r.returncode}); see section 6")
    rows = {}
    for line in table_md.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 2:
            rows[cells[0]] = cells[1]
    ctx.commands["cloud"] = " ".join(["bench/cloud-throughput.py", "--bin", "$BIN", "--files", str(ctx.p["cloud_files"])])
    ctx.results["cloud"] = dict(table=table_md, rows=rows, rc=r.returncode, load=(load0, loadavg()))
    log(f"cloud: exit {r.returncode}")
