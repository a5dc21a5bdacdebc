"""4. Idle cost (run first, in parallel with image generation: it counts wake-ups, not time)."""

import os
import subprocess
import time

from .common import Broken, loadavg, log
from .daemon import Daemon, page_address, proc_snapshot, status_kib


IDLE_PHOTOS = ["astronaut.png", "coffee.png", "chelsea.png"]
IDLE_TEST_IMAGES = os.environ.get("UPSCALED_TEST_IMAGES", "/usr/local/share/upscaled/test-images")


def idle_start(ctx):
    """The default engine (ai), idle after real work: a few AI jobs first, so ncnn's OpenMP workers,
    libvips' threads and the engine's own threads have all run; then the count starts."""
    root = ctx.fresh("idle")
    # With its page listening (on a free port) and no client connected: it must cost nothing either.
    d = Daemon(ctx, root, ["--web-listen", "127.0.0.1:0"], config=ctx.default_config).start()
    ref_dir = ctx.fresh("idle-inotifywait")
    ref = subprocess.Popen(["inotifywait", "-m", "-q", "-e", "close_write,moved_to", ref_dir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = ctx.fresh("idle-staging")
    photos = [n for n in IDLE_PHOTOS if os.path.exists(os.path.join(IDLE_TEST_IMAGES, n))]
    if not photos:
        raise Broken(f"no test photos in {IDLE_TEST_IMAGES}: run packaging/install-test-images")
    for name in photos:      # 160x160 crops: seconds each on the CPU, every thread pool used
        subprocess.run(["vips", "crop", os.path.join(IDLE_TEST_IMAGES, name), os.path.join(staging, name),
                        "100", "100", "160", "160"], check=True)
        os.rename(os.path.join(staging, name), os.path.join(root, "inbox", name))
    deadline = time.monotonic() + 600
    outbox = os.path.join(root, "outbox")
    while len([n for n in os.listdir(outbox) if not n.startswith(".")] if os.path.isdir(outbox) else []) < len(photos):
        if not d.alive() or time.monotonic() > deadline:
            raise Broken(f"the idle daemon did not finish its {len(photos)} AI jobs: {d.tail()}")
        time.sleep(0.2)
    ctx.idle_jobs = len(photos)
    ctx.idle_page = page_address(root)
    if not ctx.idle_page:
        raise Broken(f"the idle daemon's page does not listen: {d.tail()}")
    # Transients after the jobs (the last status write, libvips' spare threads retiring).
    time.sleep(ctx.p["idle_settle_s"])
    state = dict(daemon=d, ref=ref, t0=time.monotonic(), load0=loadavg(),
                 a=proc_snapshot(d.pid), ra=proc_snapshot(ref.pid))
    ctx.commands["idle"] = [d.shown + f"   (after {len(photos)} AI jobs)",
                            "inotifywait -m -q -e close_write,moved_to $DIR   (reference)"]
    return state


def idle_finish(ctx, st):
    rest = ctx.p["idle_s"] - (time.monotonic() - st["t0"])
    if rest > 0:
        time.sleep(rest)
    d = st["daemon"]
    if not d.alive():
        raise Broken(f"the idle daemon died: {d.tail()}")
    b, rb = proc_snapshot(d.pid), proc_snapshot(st["ref"].pid)
    secs = time.monotonic() - st["t0"]
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    # Per thread: threads that exited meanwhile take their counts with them, so sum the deltas of
    # the threads alive at the end (a new thread from 0) and count each exit as at least one wake-up.
    woke, switches = {}, 0
    for tid, (comm, n) in b["threads"].items():
        delta = n - st["a"]["threads"].get(tid, (comm, 0))[1]
        if delta:
            woke[comm] = woke.get(comm, 0) + delta
            switches += delta
    exited = len(set(st["a"]["threads"]) - set(b["threads"]))
    res = dict(seconds=secs, cpu_ms=(b["ticks"] - st["a"]["ticks"]) * tick_ms, switches=switches, exited=exited,
               wakeups=switches + exited, threads=len(b["threads"]), woke=woke,
               ref_cpu_ms=(rb["ticks"] - st["ra"]["ticks"]) * tick_ms,
               ref_switches=(rb["vol"] + rb["invol"]) - (st["ra"]["vol"] + st["ra"]["invol"]),
               rss_kib=status_kib(d.pid, "VmRSS"), load=(st["load0"], loadavg()))
    d.stop()
    st["ref"].terminate()
    st["ref"].wait()
    ctx.results["idle"] = res
    log(f"idle: {res['cpu_ms']:.0f} ms CPU, {switches} context switches, {exited} thread exits in {secs:.0f} s")
