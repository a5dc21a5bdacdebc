"""Several daemons on one shared root: the throughput of 1, 2 and 3 (optional section, `--only cluster`).

Each daemon runs one worker under its own host id, so N daemons are N workers that meet only in
the shared inbox, where a claim is one no-replace rename and whoever wins it does the file. What
this measures is how much of N times one daemon's rate the claim race, the shared folders and the
machine's cores let through, and that sharing a root loses or duplicates nothing.
"""

import os
import shutil
import time

from .common import Broken, dir_files, loadavg, log
from .daemon import Daemon, account
from .inotify import IN_CREATE, IN_MOVED_TO, Inotify

COUNTS = (1, 2, 3)      # daemons on one root, one worker each
# The reference: one daemon with a worker per core, what the machine gives with no sharing at
# all. N daemons of one worker against it is the cost of sharing one root, apart from the cores.
REFERENCE = "ref"


def cluster_inputs(ctx, n):
    """The first n of the throughput section's images, PNG and JPEG alternating: they are made half
    PNG, then half JPEG, and a batch smaller than all of them should still hold both formats."""
    pngs = [x for x in ctx.image_names if x.endswith(".png")]
    jpgs = [x for x in ctx.image_names if x.endswith(".jpg")]
    mix = [x for pair in zip(pngs, jpgs) for x in pair]
    if n > len(mix):
        raise ValueError(f"cluster_n = {n} is more than the {len(mix)} test images (tp_n)")
    return mix[:n]


def check_filed_once(root, names, label):
    """`account` checks every input's place and counts the results; this also names them, so a
    second result (`p000 (1).png`) or a stray file in outbox/ or archive/ is caught, not just counted."""
    for place, expected in (("outbox", {os.path.splitext(n)[0] + ".png" for n in names}),
                            ("archive", set(names))):
        got = {e.name for e in dir_files(os.path.join(root, place))}
        if got != expected:
            raise Broken(f"{label}: {place}/ holds {sorted(got - expected)[:5]} beyond the inputs' files "
                         f"and lacks {sorted(expected - got)[:5]}")


def run_round(ctx, count, names, workers=1):
    """`count` daemons all READY on a fresh root, then every input renamed into the inbox at once;
    wall time from the first rename until every original is in archive/ (the daemons link the
    result into outbox/ first, so the last archived original is the last input done). Then SIGTERM:
    every daemon must exit 0, and every input be filed exactly once.
    Returns (seconds, files done by each daemon, the command line)."""
    label = f"cluster, {count} daemon(s) of {workers} worker(s)"
    root = ctx.fresh(f"cluster-{count}-{workers}")
    stage = os.path.join(root, "stage")
    os.makedirs(stage)
    for n in names:
        os.link(os.path.join(ctx.images, n), os.path.join(stage, n))     # same bytes, no copy
    daemons = [Daemon(ctx, root, ["--engine", "local"], workers=workers, host_id=f"bench-{i + 1}").start()
               for i in range(count)]
    ino = Inotify()
    ino.add(os.path.join(root, "archive"), IN_CREATE | IN_MOVED_TO)
    ino.add(os.path.join(root, "failed"), IN_MOVED_TO)      # a failure is done too (and Broken below)
    os.sync()
    want, done, last = set(names), set(), None
    t0 = time.monotonic_ns()
    for n in names:
        os.rename(os.path.join(stage, n), os.path.join(root, "inbox", n))
    timeout = 60 + 10 * len(names)
    deadline = time.monotonic() + timeout
    while done != want:
        dead = [d for d in daemons if not d.alive()]
        if dead:
            raise Broken(f"{label}: {dead[0].host_id} died after {len(done)}/{len(names)} inputs were filed: "
                         f"{dead[0].tail()}")
        if time.monotonic() > deadline:
            raise Broken(f"{label}: only {len(done)}/{len(names)} inputs filed after {timeout} s: "
                         + "; ".join(f"{d.host_id}: {d.tail(2)}" for d in daemons))
        for _wd, _mask, name, ts in ino.read(1.0):
            if name in want and name not in done:
                done.add(name)
                last = ts
    ino.close()
    secs = (last - t0) / 1e9
    for d in daemons:
        d.stop()                    # Broken unless it exits 0 within its timeout
    counts = account(root, names, allow_inbox=False, hosts=[d.host_id for d in daemons])
    if counts["failed"] or counts["quarantine"]:
        raise Broken(f"{label}: {counts['failed']} input(s) failed, {counts['quarantine']} quarantined: "
                     f"see {', '.join(d.log_path for d in daemons)}")
    check_filed_once(root, names, label)
    per_daemon = [len(d.durations()) for d in daemons]      # one duration_s log line per file filed
    shown = daemons[-1].shown.replace(f"bench-{count}", "bench-N")
    shutil.rmtree(root)
    return secs, per_daemon, shown


def bench_cluster(ctx):
    p = ctx.p
    rounds = ctx.args.cluster_rounds or p["cluster_runs"]
    names = cluster_inputs(ctx, p["cluster_n"])
    cores = os.cpu_count()
    kinds = COUNTS + (REFERENCE,)
    times = {c: [] for c in kinds}
    split = {c: [] for c in kinds}
    ratios = {c: [] for c in kinds if c != 1}
    sharing = {c: [] for c in COUNTS[1:]}
    load0 = loadavg()
    for r in range(rounds):
        # Interleaved (every kind once per round, the order rotated): drift from other work on
        # the machine spreads over every kind instead of landing on one.
        order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
        run = {}
        for c in order:
            count, workers = (1, cores) if c == REFERENCE else (c, 1)
            secs, per_daemon, shown = run_round(ctx, count, names, workers)
            if c != REFERENCE:
                ctx.commands["cluster"] = shown
            times[c].append(secs)
            split[c].append(per_daemon)
            run[c] = secs
            log(f"cluster round {r + 1}: {count} daemon(s) of {workers} worker(s) {secs:.2f} s, "
                f"{len(names) / secs:.2f} files/s, files per daemon {'/'.join(map(str, per_daemon))}")
        for c in ratios:
            ratios[c].append(run[1] / run[c])       # rate of c over the rate of one daemon, same round
        for c in sharing:
            sharing[c].append(run[REFERENCE] / run[c])   # rate of c daemons over one daemon using every core
    ctx.results["cluster"] = dict(n=len(names), size=p["tp_size"], rounds=rounds, cores=cores,
                                  times=times, split=split, ratios=ratios, sharing=sharing, load=(load0, loadavg()))
