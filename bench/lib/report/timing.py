"""Report sections 1 (detection latency), 2 (local throughput), the PNG compression x filter sweep and
the optional cluster section (several daemons on one root)."""

from ..common import SWEEP_POINTS, TARGET_BYTES_VS_IM, fmt_bytes, median, table
from ..context import machine_line


def latency(ctx, w):
    """## 1. Detection latency."""
    R, C = ctx.results, ctx.commands
    if "latency" in R:
        lat = R["latency"]
        w("## 1. Detection latency")
        w("")
        w(f"Time from the `rename(2)` of a file into `inbox/` (or, for a file written in place, from its `close(2)`) "
          f"to the daemon's claim, seen as `IN_MOVED_TO` in `inbox/.upscaled/hosts/bench/claims/` by the benchmark's own inotify "
          f"watch (ctypes, `CLOCK_MONOTONIC`, same process and clock as the rename; resolution well under 0.1 ms). "
          f"{lat['n']:,} files per row, dropped one at a time in {lat['rounds']} round(s), each after the previous "
          f"job finished plus 5 ms. Files are 16x16 PNGs (content does not matter for the claim, but the daemon "
          f"claims first and then sniffs magic bytes and upscales, so each is processed for real). "
          f"The claim includes the daemon's fsynced journal record and the claims-folder fsync. "
          f"The written-in-place rows run the daemon with **`--quiet-window-ms 0`**: the quiet window "
          f"(1000 ms by default) is excluded on purpose. The reference is a shell loop driven by `inotifywait` that "
          f"`mv`s each file into a claims folder, measured the same way (no journal, no fsync).")
        w("")
        names = {"daemon-moved": "daemon, moved in", "shell-moved": "inotifywait loop, moved in",
                 "daemon-inplace": "daemon, written in place (quiet window 0)",
                 "shell-inplace": "inotifywait loop, written in place"}
        w(table(["", "files", "p50 ms", "p90 ms", "p99 ms", "max ms", "p50 / p99 per round"],
                [[names[k], v["n"], f"{v['p50']:.2f}", f"{v['p90']:.2f}", f"{v['p99']:.2f}", f"{v['max']:.2f}",
                  ", ".join(f"{a:.2f}/{b:.2f}" for a, b in v["rounds"])] for k, v in lat["rows"].items()]))
        w("")
        w(machine_line(ctx, "latency"))
        w("")
        w("Commands (`$IN` = `$ROOT/inbox`):")
        w("")
        for k, c in C.get("latency", {}).items():
            w(f"- {k}: `{c}`")
        w("")


def throughput(ctx, w):
    """## 2. Local throughput."""
    R, C = ctx.results, ctx.commands
    if "throughput" in R:
        t = R["throughput"]
        w("## 2. Local throughput")
        w("")
        w(f"{t['n']} inputs: {t['images']}. Each upscaled 2x to PNG. Every tool runs **{ctx.workers} images at a time, "
          f"one thread per image** (the daemon: `--workers {ctx.workers}`, libvips limited to one thread per job; "
          f"the command-line tools: `xargs -P {ctx.workers}` with `VIPS_CONCURRENCY=1` / `MAGICK_THREAD_LIMIT=1`). "
          f"Daemon wall time: from the first `rename` into the already-running daemon's inbox to the last result "
          f"linked into `outbox/` (inotify `IN_CREATE`); the daemon also fsyncs, verifies (re-reads the header of) "
          f"and archives every file, the command-line tools do not. `sync` runs before each batch, outside the timing. "
          f"Order of the tools is rotated between runs.")
        w("")
        base = median(t["times"]["imagemagick"])
        labels = {"daemon": "upscaled daemon (png_compression 1, png_filter true: the defaults)",
                  "vips": "`vips resize` (libvips defaults: compression 6, no filter)",
                  "vips-c1all": "`vips resize` with `[compression=1,filter=all]`",
                  "imagemagick": "ImageMagick `convert -filter Lanczos -resize 200%`"}
        w(table(["tool", "median s", "runs s", "CPU s (median)", "files/s", "output bytes", "bytes vs ImageMagick",
                 "time vs daemon"],
                [[labels[k], f"{median(v):.2f}", ", ".join(f"{x:.2f}" for x in v), f"{median(t['cpus'][k]):.1f}",
                  f"{t['n'] / median(v):.1f}",
                  fmt_bytes(t["sizes"][k]), f"{t['sizes'][k] / t['sizes']['imagemagick'] * 100:.0f}%",
                  f"{median(v) / median(t['times']['daemon']):.2f}x"] for k, v in t["times"].items()]))
        w("")
        w("Ratios, each computed within one run, then the median over runs (wall time unless marked CPU: "
          "user+system time of the daemon process, or of every child of `xargs`; CPU time is much less "
          "disturbed by other work on the machine than wall time):")
        w("")
        w(table(["ratio", "median", "per run"],
                [[k, f"{median(v):.2f}", ", ".join(f"{x:.2f}" for x in v)] for k, v in t["ratios"].items()]))
        w("")
        w(f"The daemon's own per-file `duration_s` (claim to archived, from its log): median {t['daemon_file_s']:.3f} s, "
          f"p90 {t['daemon_file_p90']:.3f} s.")
        w("")
        w(machine_line(ctx, "throughput"))
        w("")
        w("Commands (run in the images folder; `$LIST` names the inputs, `$OUT` a fresh folder):")
        w("")
        for k, c in C.get("throughput", {}).items():
            w(f"- {k}: `{c}`")
        w("")


def sweep(ctx, w):
    """## PNG compression and filter: the defaults."""
    R, C = ctx.results, ctx.commands
    if "sweep" in R:
        s = R["sweep"]
        ref = s["med"][(1, "all")]
        w("## PNG compression and filter: the defaults")
        w("")
        w(f"libvips `pngsave` (the call the daemon makes) at sampled `compression` x `filter` points, on {s['n']} of "
          f"the inputs above (half PNG, half JPEG), 2x, {ctx.workers} at a time, median of {s['runs']} runs. "
          f"ImageMagick's output for the same files is {fmt_bytes(s['im_bytes'])}; the target allows "
          f"{fmt_bytes(s['im_bytes'] * TARGET_BYTES_VS_IM)} (115%).")
        w("")
        rows = []
        for pt in SWEEP_POINTS:
            note = []
            if pt == (6, "none"):
                note.append("libvips default")
            if pt == (1, "all"):
                note.append("daemon default")
            if pt == s["best"]:
                note.append("**fastest within 115% of ImageMagick's bytes**")
            rows.append([f"{pt[0]}", pt[1], f"{s['med'][pt]:.2f}", f"{s['med'][pt] / ref:.2f}x",
                         fmt_bytes(s["sizes"][pt]), f"{s['sizes'][pt] / s['im_bytes'] * 100:.0f}%", ", ".join(note)])
        w(table(["compression", "filter", "median s", "time vs 1/all", "output bytes", "bytes vs ImageMagick", ""], rows))
        w("")
        b = s["best"]
        w(f"**Recommendation from this run: `png_compression = {b[0]}`, `png_filter = {str(b[1] == 'all').lower()}`** "
          f"(the fastest sampled point whose output stays within 115% of ImageMagick's bytes).")
        w("")
        w(machine_line(ctx, "sweep"))
        w("")
        w(f"Command: `{C.get('sweep', '')}`")
        w("")


def cluster(ctx, w):
    """## Several daemons on one root (the optional cluster section)."""
    R, C = ctx.results, ctx.commands
    if "cluster" in R:
        c = R["cluster"]
        cores = c["cores"]
        top = max(k for k in c["times"] if k != "ref")
        w("## Several daemons on one root")
        w("")
        w(f"*From `{ctx.invocation}` on {ctx.machine['date']} (the section is optional: a plain `bench/run` copies "
          "it from `bench/cluster.md`, which the last run with `--only cluster` wrote).*")
        w("")
        w(f"{c['n']} of the section-2 inputs ({c['size']}x{c['size']}, PNG and JPEG alternating), each upscaled 2x to PNG "
          f"by 1, 2 or 3 daemons sharing one root, each **`--workers 1`** with its own `--host-id` (`bench-1`, `bench-2`, "
          f"`bench-3`), the local engine, otherwise run as in section 2. For each count: a fresh root, the daemons started "
          f"and all READY, `sync`, every input renamed into the inbox at once; wall time from the first `rename` until "
          f"every original is in `archive/` (inotify; its result is linked into `outbox/` before). Then SIGTERM: every "
          f"daemon must exit 0 and every input be filed exactly once (one result in `outbox/`, no ` (1)` copy, nothing "
          f"left in the inbox or a claims folder). {c['rounds']} round(s) of every count, the order rotated between rounds; "
          f"each ratio is computed within a round (one daemon's time over N daemons' time), then the median over rounds.")
        w("")
        rows = []
        for k, v in c["times"].items():
            ref = k == "ref"
            ratio = f"{median(c['ratios'][k]):.2f}x" if k != 1 else "1.00x"
            per_round = ", ".join(f"{x:.2f}x" for x in c["ratios"][k]) if k != 1 else ""
            share = c.get("sharing", {}).get(k)
            rows.append([f"1 with `--workers {cores}` (reference)" if ref else k,
                         f"{median(v):.2f}", ", ".join(f"{x:.2f}" for x in v), f"{c['n'] / median(v):.2f}",
                         f"**{ratio}**", per_round,
                         f"{cores}x" if ref else f"{k}x", f"{cores}x" if ref else f"{min(k, cores)}x",
                         f"{median(share):.2f}" if share else "",
                         ", ".join("/".join(map(str, s)) for s in c["split"][k])])
        w(table(["daemons", "median s", "runs s", "files/s (median)", "vs one daemon (median)", "per round", "ideal",
                 f"at most on {cores} cores", "vs the reference", "files per daemon, per round"], rows))
        w("")
        ref = median(c["ratios"]["ref"]) if c["ratios"].get("ref") else None
        w(f"This machine has **{cores} cores** (`os.cpu_count()`). N daemons of one worker each can go no faster "
          f"than one daemon with N workers on min(N, cores) cores: `at most` is min(N, cores)."
          + (f" **{top} daemons cannot reach {top}x here**: their {top} workers take turns on {cores} cores."
             if cores < top else "")
          + f" The reference row (one daemon, `--workers {cores}`, the same files) is what this machine gives with "
          f"no sharing at all" + (f": {ref:.2f}x one worker's rate, not {cores}x" if ref else "")
          + " (the jobs share the memory bandwidth, the disk's fsyncs and the cores with this benchmark's own "
          "inotify reader). `vs the reference`, N daemons' rate over the reference's in the same round, is what "
          "sharing one root costs on top: the claim race (every daemon sees every file, and a loser writes and "
          "removes a journal record), the heartbeats, one process per daemon. Near 1.00 means nothing.")
        w("")
        w(machine_line(ctx, "cluster"))
        w("")
        w(f"Command (for N = 1..3, on one root): `{C.get('cluster', '')}`")
        w("")
