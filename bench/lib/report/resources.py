"""Report sections 3 (memory: one big image, many files waiting), 4 (idle cost) and 5 (burst)."""

from ..common import mb, table
from ..context import machine_line


def memory(ctx, w):
    """## 3. Memory: one big image."""
    R, C = ctx.results, ctx.commands
    if "memory" in R:
        mm = R["memory"]
        w("## 3. Memory")
        w("")
        w(f"### One {mm['size']}x{mm['size']} PNG → {mm['size'] * 2}x{mm['size'] * 2} PNG")
        w("")
        w(f"Peak RSS (`/usr/bin/time -f %M`), median of {mm['runs']} runs. The daemon runs as `run --once` on an "
          f"inbox holding only this file (the same code path as the long-running daemon, plus start-up); "
          f"`daemon, empty inbox` is the same command with nothing to do, i.e. its baseline.")
        w("")
        labels = {"daemon-idle": "upscaled run --once, empty inbox (baseline)", "daemon": "upscaled run --once",
                  "vips": "vips resize (defaults)", "vips-c1all": "vips resize `[compression=1,filter=all]`",
                  "imagemagick": "ImageMagick convert -filter Lanczos -resize 200%"}
        w(table(["tool", "peak RSS MB (median)", "runs MB", "wall s (median)"],
                [[labels[k], f"{mb(v):.1f}", ", ".join(f"{mb(x):.1f}" for x in mm["all"][k]), f"{mm['wall'][k]:.2f}"]
                 for k, v in mm["rss"].items()]))
        w("")
        w(machine_line(ctx, "memory"))
        w("")
        for k, c in C.get("memory", {}).items():
            w(f"- {k}: `{c}`")
        w("")


def queue(ctx, w):
    """### N files waiting (section 3, continued)."""
    R, C = ctx.results, ctx.commands
    if "queue" in R:
        q = R["queue"]
        w(f"### {q['n']:,} files waiting")
        w("")
        w(f"The daemon runs with `--quiet-window-ms 600000`; {q['n']:,} 16x16 PNGs are then written in place into the "
          f"inbox, so every one sits pending (noticed, stat'ed, waiting for its quiet window). Once `status.json` "
          f"reports all of them queued (+1 s), VmHWM is read from `/proc/PID/status` and compared with the idle VmRSS "
          f"read before the first write. SIGTERM then stops the daemon, and every file must still be in the inbox. "
          f"Median of {q['runs']} run(s).")
        w("")
        md = q["med"]
        w(table(["", "median", "runs"], [
            ["idle VmRSS (baseline)", f"{mb(md['base_rss']):.1f} MB", ", ".join(f"{mb(x['base_rss']):.1f}" for x in q["rows"])],
            ["VmHWM with all pending", f"{mb(md['hwm']):.1f} MB", ", ".join(f"{mb(x['hwm']):.1f}" for x in q["rows"])],
            ["**over baseline**", f"**{mb(md['delta']):.1f} MB**", ", ".join(f"{mb(x['delta']):.1f}" for x in q["rows"])],
            ["per pending file", f"{md['delta'] * 1024 / q['n']:.0f} bytes", ""],
            ["time to write them all", f"{md['write_s']:.2f} s", ""],
            ["time until all reported queued", f"{md['seen_s']:.2f} s", ""],
            ["daemon CPU time, start to end", f"{md['cpu_ms']:.0f} ms", ""]]))
        w("")
        w(machine_line(ctx, "queue"))
        w("")
        w(f"Command: `{C.get('queue', '')}`")
        w("")


def idle(ctx, w):
    """## 4. Idle cost."""
    R, C = ctx.results, ctx.commands
    if "idle" in R:
        i = R["idle"]
        w("## 4. Idle cost")
        w("")
        w(f"A started daemon with the default engine (`ai`, an empty configuration) that has just upscaled "
          f"{getattr(ctx, 'idle_jobs', 0)} real photos (160x160 crops of the scikit-image samples, so ncnn's OpenMP workers, "
          f"libvips' threads and the engine's threads have all run), with its page listening "
          f"(`--web-listen 127.0.0.1:0`, at {getattr(ctx, 'idle_page', '?')}) and no client connected, now with an empty inbox, "
          f"after {ctx.p['idle_settle_s']} s of settling, over {i['seconds']:.0f} s: CPU time "
          f"(utime+stime from `/proc/PID/stat`) and voluntary + involuntary context switches summed over **every "
          f"thread** (`/proc/PID/task/*/status`; the process-level line counts only the main thread). No "
          f"`WATCHDOG_USEC`, so no watchdog pings are expected. This runs while the test images are generated: it "
          f"counts wake-ups, which do not depend on load. Reference: an idle `inotifywait -m` on an empty folder.")
        w("")
        woke = ", ".join(f"{k}: {v}" for k, v in sorted(i["woke"].items(), key=lambda kv: -kv[1])) or "none"
        w(table(["", "upscaled", "inotifywait -m"], [
            ["CPU time", f"{i['cpu_ms']:.0f} ms", f"{i['ref_cpu_ms']:.0f} ms"],
            ["context switches, all threads", f"{i['switches']}", f"{i['ref_switches']}"],
            ["threads that exited during the window", i["exited"], 0],
            ["wake-ups (switches + exits)", f"**{i['wakeups']}** ({i['wakeups'] / i['seconds']:.2f}/s)", f"{i['ref_switches']}"],
            ["threads at the end", i["threads"], 1],
            ["threads that woke (switches)", woke, ""],
            ["RSS at the end", f"{mb(i['rss_kib']):.1f} MB", ""]]))
        w("")
        w(machine_line(ctx, "idle"))
        w("")
        w(f"Command: `{C.get('idle', [''])[0]}`")
        w("")


def burst(ctx, w):
    """## 5. Burst."""
    R, C = ctx.results, ctx.commands
    if "burst" in R:
        b = R["burst"]
        w("## 5. Burst")
        w("")
        w(f"{b['n']:,} small files (16x16 PNGs; 1 in 100 is text named `.png`, which must end in `failed/`) are staged "
          f"on the same filesystem, then renamed into the running daemon's inbox in one tight loop. Drain time: first "
          f"rename to the last result (`outbox/`) or failure (`failed/`). Then SIGTERM, and every input must be in "
          f"exactly one of archive/ (with its result in outbox/), failed/ (with its sidecar) or the inbox.")
        w("")
        w(table(["run", "drain s", "files/s", "renames took s", "outbox", "archive", "failed", "inbox", "overflow rescans",
                 "per-file duration_s (median)"],
                [[k + 1, f"{x['seconds']:.1f}", f"{x['per_s']:.0f}", f"{x['moved_s']:.2f}", x["counts"]["outbox"],
                  x["counts"]["archive"], x["counts"]["failed"], x["counts"]["inbox"], x["overflows"], f"{x['file_s']:.4f}"]
                 for k, x in enumerate(b["rows"])]))
        w("")
        w(f"Median drain: **{b['seconds']:.1f} s** ({b['per_s']:.0f} files/s).")
        w("")
        w(machine_line(ctx, "burst"))
        w("")
        w(f"Command: `{C.get('burst', '')}`")
        w("")


def web(ctx, w):
    """## The page under load (the optional web section)."""
    R, C = ctx.results, ctx.commands
    if "web" not in R:
        return
    x = R["web"]
    w("## The page under load")
    w("")
    w(f"*From `{ctx.invocation}` on {ctx.machine['date']} (the section is optional: a plain `bench/run` copies it "
      f"from `bench/web.md`, which the last run with `--only web` wrote).* One daemon (`--engine local`), its page on a free loopback port, and "
      f"{x['failed']:,} files in `failed/` (hard links of one real photo, `rocket.jpg`, each with its sidecar). "
      f"First the listings, one client, 20 requests each (10 for the walk after a change):")
    w("")
    w(table(["request", "p50 ms", "p99 ms", "answer bytes"],
            [[k, f"{v['p50']:.1f}", f"{v['p99']:.1f}", f"{v['bytes']:,}" if v['bytes'] else "the same"]
             for k, v in x["listings"].items()]))
    w("")
    rows = x["rows"]
    w(f"Then files dropped one at a time (rename into the inbox; ms from the rename to the claim, seen by inotify on "
      f"the claims folder, as in section 1), {x['drops']} under each of three conditions: no client; {x['clients']} "
      f"clients (threads in a process of their own, one keep-alive connection each) requesting `/api/jobs?limit=50` "
      f"and thumbnails of random failed files without pause, at nice 10 (as if they were elsewhere: they take only "
      f"the CPU the daemon leaves); the same clients at nice 0, competing with the daemon for the cores like any "
      f"other program. This machine has 2 cores and the clients run on it too. The conditions take turns in "
      f"{x['blocks']} blocks (order rotated), so the machine's drift falls on each alike; between rounds the crowd "
      f"is held until its last answer is in and what was written is synced to disk, so no round pays for the one before. Every round also drops as "
      f"many files into a control claimer (`bench/lib/web_reference.py`): one thread doing only the system calls of "
      f"the daemon's claim (inotify, the journal record written and fsynced, the rename), timed the same way under "
      f"the same crowd: what is left of the crowd's effect on it is the machine's, not the daemon's.")
    w("")
    label = {"none": "no client", 10: f"{x['clients']} clients at nice 10", 0: f"{x['clients']} clients at nice 0"}
    w(table(["", "daemon p50 ms", "daemon p99 ms", "control p50 ms", "control p99 ms", "requests served",
             "of them thumbnails", "errors"], [
        [label[c], f"{r['p50']:.2f}", f"{r['p99']:.2f}", f"{r['ref_p50']:.2f}", f"{r['ref_p99']:.2f}",
         f"{r['requests']:,} ({r['rate']:.0f}/s)" if "requests" in r else "", f"{r['thumbs']:,}" if "thumbs" in r else "",
         f"{r['errors']}" if "errors" in r else ""]
        for c, r in ((c, rows[c]) for c in ("none", 10, 0))]))
    w("")
    verdict = "meets" if x["ratio"] <= 2 else "misses"
    rss = "meets" if max(x["rss_mb"], x["pss_mb"]) <= 130 else "misses"
    p50 = rows[10]["p50"] / rows["none"]["p50"]
    w(f"p99 with the crowd / p99 without, for the daemon: **{x['ratio']:.2f}x** with the clients at nice 10 (goal ≤ 2x: "
      f"{verdict}), {x['ratio_same']:.2f}x with them at nice 0; the median moves {p50:.2f}x. For the control claimer "
      f"in the same rounds: **{x['ref_ratio']:.2f}x** and {x['ref_ratio_same']:.2f}x. The daemon's peak RSS during the "
      f"rounds (VmRSS sampled every 0.2 s): **{x['rss_mb']:.1f} MB**, {x['rss_idle_mb']:.1f} MB before them; with its "
      f"preview helper (the same executable: their PSS summed, so the pages they share count once): "
      f"**{x['pss_mb']:.1f} MB** (goal: section 3's 100 MB + 30 MB = 130 MB: {rss}). The page runs on an event loop "
      f"and an I/O thread of its own, both at nice 10, and its previews are made by libvips in a helper process at "
      f"nice 10, so the pipeline's claims never queue behind its work. See docs/PERFORMANCE.md's notes.")
    w("")
    w(machine_line(ctx, "web"))
    w("")
    w(f"Command: `{C.get('web', '')}`")
    w("")
