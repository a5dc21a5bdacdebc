"""2. Local throughput, side by side (and the batch runners the PNG sweep reuses)."""

import os
import resource
import shutil
import subprocess
import time

from .common import Broken, dir_bytes, dir_files, fmt_bytes, loadavg, log, median, pct
from .daemon import Daemon, account, proc_snapshot
from .inotify import IN_CREATE, IN_MOVED_TO, Inotify


def xargs_cmd(ctx, tool, out, files_list, point=None):
    w = ctx.workers
    if tool == "vips":
        return f"VIPS_CONCURRENCY=1 xargs -a {files_list} -P {w} -I{{}} vips resize {{}} {out}/{{}}.png 2"
    if tool == "vips-c1all" or tool == "vips-point":
        c, f = point or (1, "all")
        return (f"VIPS_CONCURRENCY=1 xargs -a {files_list} -P {w} -I{{}} vips resize {{}} "
                f"'{out}/{{}}.png[compression={c},filter={f}]' 2")
    if tool == "imagemagick":
        return (f"MAGICK_THREAD_LIMIT=1 xargs -a {files_list} -P {w} -I{{}} {ctx.convert} {{}} "
                f"-filter Lanczos -resize 200% {out}/{{}}.png")
    raise ValueError(tool)


def run_cli_batch(ctx, tool, names, point=None, keep_sizes=None):
    """One timed batch of a command-line tool over `names`; returns (seconds, output bytes)."""
    out = ctx.fresh(f"out-{tool}")
    lst = os.path.join(out + ".list")
    with open(lst, "w") as f:
        f.write("\n".join(names) + "\n")
    cmd = xargs_cmd(ctx, tool, out, lst, point)
    os.sync()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, shell=True, cwd=ctx.images, capture_output=True, text=True)
    secs = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    if r.returncode != 0:
        raise Broken(f"`{cmd}` failed: {r.stderr[-500:]}")
    files = dir_files(out)
    if len(files) != len(names):
        raise Broken(f"{tool}: {len(files)} outputs for {len(names)} inputs")
    if keep_sizes is not None:
        for e in files:
            keep_sizes[e.name[:-4]] = e.stat().st_size
    total = sum(e.stat().st_size for e in files)
    shutil.rmtree(out)
    os.unlink(lst)
    shown = cmd.replace(out, "$OUT").replace(lst, "$LIST").replace(ctx.convert, "convert")
    return secs, total, shown, cpu


def run_daemon_batch(ctx, names):
    """The daemon already up and idle; all inputs renamed into the inbox at once; wall time from the
    first rename to the last result linked into outbox/. Returns (seconds, bytes, per-file durations)."""
    root = ctx.fresh("tp-daemon")
    stage = os.path.join(root, "stage")
    os.makedirs(stage)
    for n in names:
        os.link(os.path.join(ctx.images, n), os.path.join(stage, n))     # same bytes, no copy
    d = Daemon(ctx, root).start()
    outbox, failed = os.path.join(root, "outbox"), os.path.join(root, "failed")
    ino = Inotify()
    ino.add(outbox, IN_CREATE | IN_MOVED_TO)
    ino.add(failed, IN_MOVED_TO)
    os.sync()
    seen, last = 0, None
    ticks0 = proc_snapshot(d.pid)["ticks"]
    t0 = time.monotonic_ns()
    for n in names:
        os.rename(os.path.join(stage, n), os.path.join(root, "inbox", n))
    deadline = time.monotonic() + 60 + 10 * len(names)
    while seen < len(names):
        if time.monotonic() > deadline or not d.alive():
            raise Broken(f"daemon batch: {seen}/{len(names)} results; {d.tail()}")
        for _wd, mask, name, ts in ino.read(1.0):
            if not name.startswith(".") and not name.endswith(".json"):
                seen, last = seen + 1, ts
    ino.close()
    secs = (last - t0) / 1e9
    time.sleep(0.5)
    cpu = (proc_snapshot(d.pid)["ticks"] - ticks0) / os.sysconf("SC_CLK_TCK")
    d.stop()
    counts = account(root, names, allow_inbox=False)
    if counts["failed"]:
        raise Broken(f"daemon batch: {counts['failed']} input(s) failed: see {d.log_path}")
    total = dir_bytes(outbox)
    durs = d.durations()
    shown = d.shown
    shutil.rmtree(root)
    return secs, total, durs, shown, cpu


def bench_throughput(ctx):
    p = ctx.p
    names = ctx.image_names
    tools = ["daemon", "vips", "vips-c1all", "imagemagick"]
    times = {t: [] for t in tools}
    cpus = {t: [] for t in tools}
    sizes = {}
    ratios = {"daemon/vips": [], "daemon/vips-c1all": [], "imagemagick/daemon": [],
              "CPU daemon/vips-c1all": [], "CPU imagemagick/daemon": []}
    durs = []
    ctx.im_sizes = {}
    load0 = loadavg()
    for r in range(p["tp_runs"]):
        order = tools[r % len(tools):] + tools[:r % len(tools)]     # rotate to spread drift
        run, runcpu = {}, {}
        for t in order:
            if t == "daemon":
                secs, total, ds, shown, cpu = run_daemon_batch(ctx, names)
                durs += ds
            else:
                secs, total, shown, cpu = run_cli_batch(ctx, t, names,
                                                        keep_sizes=ctx.im_sizes if t == "imagemagick" else None)
            ctx.commands.setdefault("throughput", {})[t] = shown
            times[t].append(secs)
            cpus[t].append(cpu)
            sizes[t] = total
            run[t], runcpu[t] = secs, cpu
            log(f"throughput run {r + 1}: {t} {secs:.2f} s wall, {cpu:.1f} s CPU, {fmt_bytes(total)}")
        ratios["CPU daemon/vips-c1all"].append(runcpu["daemon"] / runcpu["vips-c1all"])
        ratios["CPU imagemagick/daemon"].append(runcpu["imagemagick"] / runcpu["daemon"])
        ratios["daemon/vips"].append(run["daemon"] / run["vips"])
        ratios["daemon/vips-c1all"].append(run["daemon"] / run["vips-c1all"])
        ratios["imagemagick/daemon"].append(run["imagemagick"] / run["daemon"])
    ctx.results["throughput"] = dict(
        n=len(names), runs=p["tp_runs"], times=times, cpus=cpus, sizes=sizes, ratios=ratios, load=(load0, loadavg()),
        daemon_file_s=median(durs), daemon_file_p90=pct(durs, 90), images=ctx.image_desc)
