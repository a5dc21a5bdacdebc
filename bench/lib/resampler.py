"""The resampler section: bench/resampler-quality.py."""

import os
import subprocess
import sys

from .common import REPO, loadavg


def bench_resampler(ctx):
    """bench/resampler-quality.py: the local engine's resampler against lbb, nohalo, bilinear."""
    script = os.path.join(REPO, "bench", "resampler-quality.py")
    if not os.path.exists(script):
        return
    cmd = [sys.executable, script] + (["--size", "256", "--images", "1"] if ctx.args.smoke else [])
    load0 = loadavg()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0 or "|" not in r.stdout:
        ctx.problems.append(f"resampler: {os.path.basename(script)} failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
        return
    ctx.commands["resampler"] = "bench/resampler-quality.py" + "".join(" " + a for a in cmd[2:])
    ctx.results["resampler"] = dict(table=r.stdout.strip(), load=(load0, loadavg()))
