"""The summary table: one row per target of issue 6, then the machine."""

from ..common import (TARGET_BIG_MB, TARGET_BYTES_VS_IM, TARGET_P99_MS, TARGET_QUEUE_MB, TARGET_VS_IM,
                     TARGET_VS_VIPS, mb, median, table, verdict)
from ..context import machine_line


def summary(ctx, w):
    """## Summary against the targets (issue 6)."""
    R = ctx.results
    # Summary
    rows = []
    if "latency" in R:
        lr = R["latency"]["rows"]
        for k, label in (("daemon-moved", "moved in"), ("daemon-inplace", "written in place, quiet window 0")):
            rows.append([f"1. detection p99, {label}", f"< {TARGET_P99_MS:.0f} ms", f"{lr[k]['p99']:.2f} ms "
                         f"(inotifywait loop {lr[k.replace('daemon', 'shell')]['p99']:.2f} ms)",
                         verdict(lr[k]["p99"] < TARGET_P99_MS)])
    if "throughput" in R:
        t = R["throughput"]
        vs_vips = median(t["ratios"]["daemon/vips"])
        vs_c1 = median(t["ratios"]["daemon/vips-c1all"])
        vs_im = median(t["ratios"]["imagemagick/daemon"])
        by = t["sizes"]["daemon"] / t["sizes"]["imagemagick"]
        rows.append(["2. time vs `vips resize` (its defaults)", f"≤ {TARGET_VS_VIPS}x", f"{vs_vips:.2f}x", verdict(vs_vips <= TARGET_VS_VIPS)])
        rows.append(["2. time vs `vips resize` with the daemon's PNG settings", f"≤ {TARGET_VS_VIPS}x",
                     f"{vs_c1:.2f}x (CPU time {median(t['ratios']['CPU daemon/vips-c1all']):.2f}x)",
                     verdict(vs_c1 <= TARGET_VS_VIPS)])
        rows.append(["2. speed-up vs ImageMagick", f"≥ {TARGET_VS_IM:.0f}x",
                     f"{vs_im:.2f}x (CPU time {median(t['ratios']['CPU imagemagick/daemon']):.2f}x)",
                     verdict(vs_im >= TARGET_VS_IM)])
        rows.append(["2. output bytes vs ImageMagick", f"≤ {TARGET_BYTES_VS_IM * 100:.0f}%", f"{by * 100:.0f}%", verdict(by <= TARGET_BYTES_VS_IM)])
    if "memory" in R:
        v = mb(R["memory"]["rss"]["daemon"])
        rows.append([f"3. peak RSS, {R['memory']['size']}² → 2x", f"< {TARGET_BIG_MB:.0f} MB",
                     f"{v:.1f} MB (ImageMagick {mb(R['memory']['rss']['imagemagick']):.0f} MB)", verdict(v < TARGET_BIG_MB)])
    if "queue" in R:
        v = mb(R["queue"]["med"]["delta"])
        rows.append([f"3. RSS over baseline, {R['queue']['n']:,} files waiting", f"< {TARGET_QUEUE_MB:.0f} MB", f"{v:.1f} MB",
                     verdict(v < TARGET_QUEUE_MB)])
    if "idle" in R:
        i = R["idle"]
        rows.append([f"4. idle wake-ups over {i['seconds']:.0f} s", "0", f"{i['wakeups']} ({i['wakeups'] / i['seconds']:.2f}/s), "
                     f"{i['cpu_ms']:.0f} ms CPU", verdict(i["wakeups"] == 0)])
    if "burst" in R:
        b = R["burst"]
        lost = not all(x["drained"] for x in b["rows"])
        rows.append([f"5. burst of {b['n']:,}: none lost", "every file accounted for once",
                     f"drained in {b['seconds']:.1f} s ({b['per_s']:.0f} files/s), all accounted for",
                     verdict(not lost)])
    cl = R.get("cloud")
    if cl and "rows" in cl:
        sustained = next((v for k, v in cl["rows"].items() if k.startswith("requests per 10 s, sustained")), "?")
        limited = cl["rows"].get("429s caused by the daemon", "?")
        try:
            ok = float(sustained) >= 135 and int(limited) == 0
        except ValueError:
            ok = False
        rows.append(["6. cloud path (one run)", "≥ 135 req/10 s, 0 429s", f"{sustained} req/10 s, {limited} 429s",
                     verdict(ok)])
    else:
        rows.append(["6. cloud path", "≥ 135 req/10 s, 0 429s", "not measured yet" + (f" ({cl['skipped']})" if cl else ""), "—"])
    w("## Summary against the targets (issue 6)")
    w("")
    w(table(["#", "target", "measured (median)", "verdict"], rows))
    w("")
    w(machine_line(ctx))
    w("")
