"""3. Memory: a queue of many small files, all waiting for their quiet window."""

import os
import shutil
import time

from .common import Broken, loadavg, log, mb, median
from .daemon import Daemon, account, proc_snapshot, status_kib


def bench_queue(ctx):
    p = ctx.p
    n = p["queue_n"]
    res = []
    load0 = loadavg()
    for r in range(p["queue_runs"]):
        root = ctx.fresh("queue")
        d = Daemon(ctx, root, ["--quiet-window-ms", "600000"]).start()
        time.sleep(1.0)
        base_rss, base_hwm = status_kib(d.pid, "VmRSS"), status_kib(d.pid, "VmHWM")
        inbox = os.path.join(root, "inbox")
        names = [f"q{i:05d}.png" for i in range(n)]
        t0 = time.monotonic()
        for nm in names:
            with open(os.path.join(inbox, nm), "wb") as f:
                f.write(ctx.tiny)
        write_s = time.monotonic() - t0
        deadline = time.monotonic() + 120
        while True:
            st = d.status_json()
            if st and st.get("queued", 0) >= n:
                break
            if time.monotonic() > deadline or not d.alive():
                raise Broken(f"queue: the daemon never reported {n} queued (last status {st}); {d.tail()}")
            time.sleep(0.2)
        seen_s = time.monotonic() - t0
        time.sleep(1.0)
        hwm, rss = status_kib(d.pid, "VmHWM"), status_kib(d.pid, "VmRSS")
        cpu = proc_snapshot(d.pid)["ticks"] * 1000 / os.sysconf("SC_CLK_TCK")
        d.stop()
        counts = account(root, names)
        if counts["inbox"] != n:
            raise Broken(f"queue: {n - counts['inbox']} file(s) were taken despite the 600 s quiet window")
        res.append(dict(base_rss=base_rss, base_hwm=base_hwm, hwm=hwm, rss=rss, delta=hwm - base_rss,
                        write_s=write_s, seen_s=seen_s, cpu_ms=cpu))
        log(f"queue run {r + 1}: {n} pending, VmHWM {mb(hwm):.1f} MB, baseline {mb(base_rss):.1f} MB, "
            f"delta {mb(hwm - base_rss):.1f} MB")
        shutil.rmtree(root)
    ctx.commands["queue"] = d.shown
    ctx.results["queue"] = dict(n=n, runs=p["queue_runs"], rows=res, load=(load0, loadavg()),
                                med={k: median([x[k] for x in res]) for k in res[0]})
