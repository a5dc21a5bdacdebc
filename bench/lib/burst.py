"""5. Burst."""

import os
import shutil
import time

from .common import Broken, loadavg, log, median
from .daemon import Daemon, account
from .inotify import IN_CREATE, IN_MOVED_TO, Inotify


def bench_burst(ctx):
    p = ctx.p
    n = p["burst_n"]
    res = []
    load0 = loadavg()
    for r in range(p["burst_runs"]):
        root = ctx.fresh("burst")
        stage = os.path.join(root, "stage")
        os.makedirs(stage)
        names = []
        for i in range(n):
            bad = i % 100 == 99             # 1 in 100 is not an image: it must end in failed/
            nm = f"b{i:05d}.png"
            with open(os.path.join(stage, nm), "wb") as f:
                f.write(b"not an image\n" if bad else ctx.tiny)
            names.append(nm)
        d = Daemon(ctx, root).start()
        ino = Inotify()
        ino.add(os.path.join(root, "outbox"), IN_CREATE | IN_MOVED_TO)
        ino.add(os.path.join(root, "failed"), IN_MOVED_TO)
        os.sync()
        t0 = time.monotonic_ns()
        for nm in names:
            os.rename(os.path.join(stage, nm), os.path.join(root, "inbox", nm))
        moved_s = (time.monotonic_ns() - t0) / 1e9
        seen, last = 0, t0
        deadline = time.monotonic() + p["burst_timeout"]
        drained = True
        while seen < n:
            if not d.alive():
                raise Broken(f"burst: the daemon died after {seen}/{n}: {d.tail()}")
            if time.monotonic() > deadline:
                drained = False
                ctx.problems.append(f"burst run {r + 1}: only {seen}/{n} files done after {p['burst_timeout']} s")
                break
            for _wd, mask, name, ts in ino.read(1.0):
                if not name.startswith(".") and not name.endswith(".json"):
                    seen, last = seen + 1, ts
        ino.close()
        secs = (last - t0) / 1e9
        st = d.status_json() or {}
        d.stop()
        counts = account(root, names, allow_inbox=not drained)
        durs = d.durations()
        res.append(dict(seconds=secs, per_s=seen / secs if secs else 0, moved_s=moved_s, counts=counts,
                        overflows=st.get("overflows", 0), file_s=median(durs), drained=drained))
        log(f"burst run {r + 1}: {n} files in {secs:.1f} s ({seen / secs:.0f}/s); {counts}")
        shutil.rmtree(root)
    ctx.commands["burst"] = d.shown
    ctx.results["burst"] = dict(n=n, runs=p["burst_runs"], rows=res, load=(load0, loadavg()),
                                seconds=median([x["seconds"] for x in res]), per_s=median([x["per_s"] for x in res]))
