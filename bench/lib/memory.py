"""3. Memory: one big image (the queue of many small files is in queue.py)."""

import os
import shutil
import subprocess
import tempfile
import time

from . import context
from .common import Broken, dir_files, loadavg, log, mb, median


def gnu_time(cmd, env=None, cwd=None):
    """Runs cmd under GNU time; returns (max RSS KiB, wall s)."""
    out = ctx_tmp_file = tempfile.mktemp(prefix="time-", dir=context.CTX.tmp)
    full = ["/usr/bin/time", "-f", "%M %e", "-o", out] + cmd
    r = subprocess.run(full, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Broken(f"`{' '.join(cmd)}` failed: {r.stderr[-500:]}")
    with open(ctx_tmp_file) as f:
        rss, wall = f.read().split()[-2:]
    os.unlink(out)
    return int(rss), float(wall)


def bench_memory(ctx):
    p = ctx.p
    big = ctx.big
    b = p["big"]
    env_vips = dict(os.environ, VIPS_CONCURRENCY="1")
    env_im = dict(os.environ, MAGICK_THREAD_LIMIT="1")
    env_d = dict(os.environ, XDG_CONFIG_HOME=ctx.path("xdg"))
    for k in ("NOTIFY_SOCKET", "JOURNAL_STREAM"):
        env_d.pop(k, None)
    rows = {k: [] for k in ("daemon-idle", "daemon", "vips", "vips-c1all", "imagemagick")}
    walls = {k: [] for k in rows}
    cmds = {}
    load0 = loadavg()
    for r in range(p["mem_runs"]):
        for key in rows:
            out = ctx.fresh("mem-out")
            if key.startswith("daemon"):
                root = ctx.fresh("mem-root")
                os.makedirs(os.path.join(root, "inbox"))
                if key == "daemon":
                    dst = os.path.join(root, "inbox", "big.png")
                    shutil.copyfile(big, dst)
                    os.utime(dst, (time.time() - 3600, time.time() - 3600))     # settled: no quiet window
                cmd = [ctx.binary, "run", "--once", "--root", root, "--config", ctx.config,
                       "--workers", str(ctx.workers)]
                rss, wall = gnu_time(cmd, env=env_d)
                if key == "daemon" and len(dir_files(os.path.join(root, "outbox"))) != 1:
                    raise Broken(f"daemon --once produced no result for {b}x{b}")
                shown = "upscaled " + " ".join(cmd[1:])
                shutil.rmtree(root)
            elif key == "vips":
                cmd = ["vips", "resize", big, f"{out}/big.png", "2"]
                rss, wall = gnu_time(cmd, env=env_vips)
                shown = "VIPS_CONCURRENCY=1 " + " ".join(cmd)
            elif key == "vips-c1all":
                cmd = ["vips", "resize", big, f"{out}/big.png[compression=1,filter=all]", "2"]
                rss, wall = gnu_time(cmd, env=env_vips)
                shown = "VIPS_CONCURRENCY=1 " + " ".join(cmd)
            else:
                cmd = [ctx.convert, big, "-filter", "Lanczos", "-resize", "200%", f"{out}/big.png"]
                rss, wall = gnu_time(cmd, env=env_im)
                shown = "MAGICK_THREAD_LIMIT=1 convert " + " ".join(cmd[1:])
            shutil.rmtree(out)
            rows[key].append(rss)
            walls[key].append(wall)
            cmds[key] = "/usr/bin/time -f '%M %e' " + shown.replace(ctx.tmp, "$TMP").replace(ctx.binary, "upscaled")
        log(f"memory run {r + 1}: " + ", ".join(f"{k} {mb(v[-1]):.0f} MB" for k, v in rows.items()))
    ctx.commands["memory"] = cmds
    ctx.results["memory"] = dict(size=b, runs=p["mem_runs"], rss={k: median(v) for k, v in rows.items()},
                                 all=rows, wall={k: median(v) for k, v in walls.items()}, load=(load0, loadavg()))
