"""PNG compression x filter sweep (same libvips pngsave the daemon calls)."""

from .common import SWEEP_POINTS, TARGET_BYTES_VS_IM, loadavg, log, median
from .throughput import run_cli_batch


def bench_sweep(ctx):
    p = ctx.p
    half = p["sweep_n"] // 2
    pngs = [n for n in ctx.image_names if n.endswith(".png")][:half]
    jpgs = [n for n in ctx.image_names if n.endswith(".jpg")][:p["sweep_n"] - len(pngs)]
    subset = pngs + jpgs
    if not all(n in getattr(ctx, "im_sizes", {}) for n in subset):
        ctx.im_sizes = getattr(ctx, "im_sizes", {})
        run_cli_batch(ctx, "imagemagick", subset, keep_sizes=ctx.im_sizes)
    im_bytes = sum(ctx.im_sizes[n] for n in subset)
    times = {pt: [] for pt in SWEEP_POINTS}
    sizes = {}
    load0 = loadavg()
    for r in range(p["sweep_runs"]):
        order = SWEEP_POINTS[r % len(SWEEP_POINTS):] + SWEEP_POINTS[:r % len(SWEEP_POINTS)]
        for pt in order:
            secs, total, shown, _cpu = run_cli_batch(ctx, "vips-point", subset, point=pt)
            times[pt].append(secs)
            sizes[pt] = total
        log(f"sweep run {r + 1} done")
    ctx.commands["sweep"] = shown.replace(f"compression={pt[0]},filter={pt[1]}", "compression=C,filter=F")
    med = {pt: median(times[pt]) for pt in SWEEP_POINTS}
    ok = [pt for pt in SWEEP_POINTS if sizes[pt] <= TARGET_BYTES_VS_IM * im_bytes]
    best = min(ok, key=lambda pt: med[pt]) if ok else min(SWEEP_POINTS, key=lambda pt: sizes[pt])
    ctx.results["sweep"] = dict(n=len(subset), runs=p["sweep_runs"], times=times, med=med, sizes=sizes,
                                im_bytes=im_bytes, best=best, load=(load0, loadavg()))
