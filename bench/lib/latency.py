"""1. Detection latency."""

import os
import signal
import subprocess
import time

from .common import Broken, loadavg, log, pct
from .daemon import Daemon, account, host_state
from .inotify import IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO, Inotify


def latency_round(ctx, who, mode, n):
    """n drops, one at a time; returns latencies in ms from rename()/close() to the claim."""
    root = ctx.fresh(f"lat-{who}-{mode}")
    stage = os.path.join(root, "stage")
    os.makedirs(stage)
    names = [f"t{i:05d}.png" for i in range(n)]
    if mode == "moved":
        for nm in names:
            with open(os.path.join(stage, nm), "wb") as f:
                f.write(ctx.tiny)
    ino = Inotify()
    shell = daemon = None
    if who == "daemon":
        daemon = Daemon(ctx, root, ["--quiet-window-ms", "0"] if mode == "inplace" else []).start()
        inbox, claims = os.path.join(root, "inbox"), host_state(root, "claims")
        ctx.commands.setdefault("latency", {})[f"daemon-{mode}"] = daemon.shown
    else:
        inbox, claims = os.path.join(root, "inbox"), os.path.join(root, "inbox", ".claims")
        os.makedirs(claims)
        script = (f'inotifywait -m -e close_write,moved_to --format "%f" "$0" | '
                  f'while IFS= read -r f; do mv -- "$0/$f" "$0/.claims/$f"; done')
        shell = subprocess.Popen(["bash", "-c", script, inbox], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 start_new_session=True)
        line = b""
        while b"Watches established" not in line:
            line = shell.stderr.readline()
            if not line:
                raise Broken("the inotifywait loop did not start")
        ctx.commands.setdefault("latency", {})["shell"] = (
            "inotifywait -m -e close_write,moved_to --format %f $IN | while IFS= read -r f; do mv -- \"$IN/$f\" "
            "\"$IN/.claims/$f\"; done")
    ino.add(claims, IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)
    lat = []
    try:
        for nm in names:
            dst = os.path.join(inbox, nm)
            if mode == "moved":
                t0 = time.monotonic_ns()
                os.rename(os.path.join(stage, nm), dst)
            else:
                fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, ctx.tiny)
                t0 = time.monotonic_ns()
                os.close(fd)
            t1 = done = None
            deadline = time.monotonic() + 30
            while done is None:
                if time.monotonic() > deadline:
                    raise Broken(f"{who}/{mode}: {nm} not {'claimed' if t1 is None else 'finished'} within 30 s")
                for _wd, mask, _name, seen in ino.read(1.0):
                    if mask & IN_MOVED_TO and t1 is None:
                        t1 = seen
                        if shell:
                            done = seen
                    elif mask & (IN_MOVED_FROM | IN_DELETE) and t1 is not None:
                        done = seen       # the daemon's job ended (original archived or filed)
            lat.append((t1 - t0) / 1e6)
            time.sleep(0.005)             # the same short pause for both watchers
    finally:
        ino.close()
        if shell:
            os.killpg(shell.pid, signal.SIGTERM)
            shell.wait()
    if daemon:
        daemon.stop()
        account(root, names, allow_inbox=False)
    return lat


def bench_latency(ctx):
    p = ctx.p
    per = p["lat_n"] // p["lat_rounds"]
    lat = {k: [] for k in ("daemon-moved", "shell-moved", "daemon-inplace", "shell-inplace")}
    rounds = {k: [] for k in lat}
    load0 = loadavg()
    for r in range(p["lat_rounds"]):
        order = list(lat)
        if r % 2:
            order.reverse()
        for key in order:
            who, mode = key.split("-")
            xs = latency_round(ctx, who, mode, per)
            lat[key] += xs
            rounds[key].append((pct(xs, 50), pct(xs, 99)))
            log(f"latency {key} round {r + 1}: p50 {pct(xs, 50):.2f} ms, p99 {pct(xs, 99):.2f} ms")
    ctx.results["latency"] = dict(
        n=p["lat_n"], rounds=p["lat_rounds"], load=(load0, loadavg()),
        rows={k: dict(p50=pct(v, 50), p90=pct(v, 90), p99=pct(v, 99), max=max(v), n=len(v), rounds=rounds[k])
              for k, v in lat.items()})
