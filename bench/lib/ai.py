"""The optional AI sections (ai-quality, ai-speed): bench/ai-quality.py and bench/ai-speed.py."""

import os
import subprocess
import sys

from .common import REPO


def bench_ai(ctx, name):
    """bench/ai-quality.py or bench/ai-speed.py (optional sections): their Markdown, as printed."""
    cmd = [sys.executable, os.path.join(REPO, "bench", name + ".py"), "--binary", ctx.binary] + (["--smoke"] if ctx.args.smoke else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0 or "|" not in r.stdout:
        ctx.problems.append(f"{name}: bench/{name}.py failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
    if "|" in r.stdout:
        ctx.commands[name] = f"bench/{name}.py --binary $BIN" + (" --smoke" if ctx.args.smoke else "")
        ctx.results[name] = dict(table=r.stdout.strip())
