"""bench/ai-speed.py's report: the Markdown tables made from its measurements (the timings of each
tool per input, the verdicts against the targets, the tile_size / memory_mb settings, the memory
model, the RRDB models). Standard library only."""
import statistics

import ai_bench as B

TARGET_VS_WHEEL = 1.10
TARGET_VS_TORCH = 2.0
TARGET_RSS_MB = 700


def ok(runs):
    return [r for r in runs if r["rc"] == 0]


def report(args, model, inputs, sizes, rules, results, feasible, sweep, memory, rrdb, use_torch, torch_note):
    """The lines ai-speed.py prints, from what main() measured: `results` (tool, label) -> runs,
    `feasible` (runtime, label) -> the untiled probe or None, `sweep`, `memory` and `rrdb` as main()
    collects them; `model` is the model measured."""
    def med(runs, f):
        xs = [f(r) for r in ok(runs) if f(r) is not None]
        return statistics.median(xs) if xs else None

    def fmt(x, spec="{:.2f}", none="—"):
        return spec.format(x) if x is not None else none

    L = []
    w = L.append
    w(f"realesr-animevideov3, 4x, 2 threads each; {args.rounds} interleaved round(s), medians; binary "
      f"`{B.show_path(args.binary)}` ({B.binary_commit(args.binary)}). *Machine: {B.machine_line()}.*")
    w("")
    rows = []
    names = {"ours": "daemon (`upscaled upscale`, tiled)", "ncnn": "ncnn wheel, untiled",
             "ncnn-tiled": "ncnn wheel, tiled as the daemon", "torch": "PyTorch CPU, untiled"}
    for label, (inp, mp) in inputs.items():
        for tool in ["ours", "ncnn", "ncnn-tiled", "torch"]:
            runs = results.get((tool, label))
            probe = feasible.get((tool, label))
            if not runs:
                if probe is not None and probe["rc"] != 0:
                    rows.append([label, names[tool], "cannot run: needs more than the "
                                 f"{args.untiled_limit_gb:g} GiB cap (exit {probe['rc']}, "
                                 f"peak RSS {fmt(probe['rss_mb'], '{:.0f}')} MB when it gave up)", "", "", "", ""])
                continue
            good = ok(runs)
            wall = med(runs, lambda r: r["wall"])
            infer = med(runs, lambda r: r["json"]["infer"] if r.get("json") else None)
            cpu = med(runs, lambda r: (r["user"] or 0) + (r["sys"] or 0))
            rss = max((r["rss_mb"] for r in good if r["rss_mb"]), default=None)
            name = names[tool]
            if tool in ("ours", "ncnn-tiled"):
                name += " — " + B.describe_tiles(B.daemon_tile(rules, model, *sizes[label]))
            rows.append([label, name, f"{fmt(wall)} s ({len(good)}/{len(runs)} ok)",
                         fmt(wall / mp if wall else None), fmt(infer / mp if infer else None),
                         fmt(cpu, "{:.1f}"), fmt(rss, "{:.0f}")])
    w(B.md_table(["input", "runtime", "wall (median)", "s per input MP, wall", "s per input MP, inference only",
                "CPU s", "peak RSS MB"], rows))
    w("")

    def ratio(label, other, f_other=lambda r: r["wall"]):
        a, b = results.get(("ours", label), []), results.get((other, label), [])
        pairs = [(x["wall"], f_other(y)) for x, y in zip(a, b) if x["rc"] == 0 and y["rc"] == 0 and f_other(y)]
        return statistics.median(p / q for p, q in pairs) if pairs else None

    trows = []
    for label, (inp, mp) in inputs.items():
        for other, name in (("ncnn", "ncnn wheel untiled"), ("ncnn-tiled", "ncnn wheel tiled")):
            rw = ratio(label, other)
            ri = ratio(label, other, lambda r: r["json"]["infer"] if r.get("json") else None)
            if rw is not None:
                trows.append([f"time vs {name}, {label}", f"≤ {TARGET_VS_WHEEL:.1f}x",
                              f"{rw:.2f}x wall vs wall; {ri:.2f}x our wall vs its inference alone" if ri else f"{rw:.2f}x",
                              "meets" if rw <= TARGET_VS_WHEEL else f"**misses** by {(rw / TARGET_VS_WHEEL - 1) * 100:.0f} %"])
        rt = ratio(label, "torch")
        rti = ratio(label, "torch", lambda r: r["json"]["infer"] if r.get("json") else None)
        if rt is not None:
            trows.append([f"speed-up vs PyTorch CPU, {label}", f"≥ {TARGET_VS_TORCH:.0f}x",
                          f"{1 / rt:.2f}x wall vs wall" + (f"; {1 / rti:.2f}x our wall vs its inference alone" if rti else ""),
                          "meets" if 1 / rt >= TARGET_VS_TORCH else f"**misses** ({1 / rt:.2f}x)"])
        elif use_torch and (feasible.get(("torch", label)) or {}).get("rc"):
            trows.append([f"speed-up vs PyTorch CPU, {label}", f"≥ {TARGET_VS_TORCH:.0f}x", "PyTorch cannot run untiled here", "—"])
        elif use_torch and mp > args.torch_max_mp:
            trows.append([f"speed-up vs PyTorch CPU, {label}", f"≥ {TARGET_VS_TORCH:.0f}x",
                          f"not run (PyTorch only up to {args.torch_max_mp:g} MP: `--torch-max-mp`)", "—"])
        rss = max((r["rss_mb"] for r in ok(results.get(("ours", label), [])) if r["rss_mb"]), default=None)
        if rss is not None:
            trows.append([f"daemon peak RSS, {label}", f"< {TARGET_RSS_MB} MB", f"{rss:.0f} MB",
                          "meets" if rss < TARGET_RSS_MB else f"**misses** by {rss - TARGET_RSS_MB:.0f} MB"])
    w("Against the targets (ratios within a round, then the median; below 1x the daemon is faster):")
    w("")
    w(B.md_table(["target", "wanted", "measured", "verdict"], trows))
    w("")
    if sweep:
        label = list(inputs)[0]
        mp = inputs[label][1]
        by = {}
        for key, r in sweep:
            by.setdefault(key, []).append(r)
        srows = []
        for (tile, mem_mb), runs in by.items():
            good = ok(runs)
            wall = statistics.median(r["wall"] for r in good) if good else None
            rss = max((r["rss_mb"] for r in good if r["rss_mb"]), default=None)
            setting = f"tile_size = {tile}" if tile else f"memory_mb = {mem_mb}"
            setting += " (" + B.describe_tiles(B.daemon_tile(rules, model, *sizes[label], memory_mb=mem_mb or 512,
                                                              tile_size=tile)) + ")"
            srows.append([setting, fmt(wall / mp if wall else None), fmt(rss, "{:.0f}"), f"{len(good)}/{len(runs)}"])
        w(f"The daemon alone on the {label} input with other `[ai]` settings (each run twice, order reversed "
          "the second time; default: memory_mb = 512, tile chosen from it):")
        w("")
        w(B.md_table(["setting", "s per input MP, wall", "peak RSS MB", "runs ok"], srows))
        w("")
    if memory:
        base = next((r["rss_mb"] for k, _, _, r in memory if k == "baseline" and r["rc"] == 0), None)
        mrows = []
        for kind, side, tile, r in memory:
            if kind == "baseline":
                mrows.append([f"{side}x{side}, one tile (the baseline: binary, libraries, model)", "1", "—",
                              fmt(r["rss_mb"], "{:.0f}"), "—", "—"])
                continue
            w_ = h_ = side
            margin = rules["margin"]["compact"] if rules else 20
            shapes = set()
            count = 0
            for y in range(0, h_, tile):
                for x in range(0, w_, tile):
                    cw, ch = min(w_, tile + 2 * margin), min(h_, tile + 2 * margin)     # TilePlan: one shape
                    shapes.add((cw, ch))
                    count += 1
            ctx_px = max(cw * ch for cw, ch in shapes)
            predicted = B.bytes_needed(rules, model, tile, w_, h_) / 2**20 if rules else None
            per_px = ((r["rss_mb"] - base) * 2**20 - B.bytes_needed(rules, model, tile, w_, h_) + ctx_px
                      * rules["per_px"]["compact"]) / ctx_px if (rules and base and r["rss_mb"]) else None
            mrows.append([f"{side}x{side}, tile_size {tile}", f"{count} ({len(shapes)} context shape{'s' if len(shapes) > 1 else ''})",
                          fmt(predicted, "{:.0f}"), fmt(r["rss_mb"], "{:.0f}"),
                          fmt(r["rss_mb"] - base if base and r["rss_mb"] else None, "{:.0f}"),
                          fmt(per_px, "{:,.0f}")])
        w("The daemon's memory model against its peak RSS (`TileSizing.bytesNeeded`, which `memory_mb` is compared "
          "with; per-pixel cost = RSS over the baseline, less the model's strips and input, over the largest context):")
        w("")
        w(B.md_table(["input", "tiles", "TileSizing's estimate MB", "peak RSS MB", "over the baseline MB",
                    "measured B per context px (model: %s)" % (f"{rules['per_px']['compact']:,}" if rules else "?")], mrows))
        w("")
    if rrdb:
        by = {}
        for key, r, mp_ in rrdb:
            by.setdefault(key, []).append((r, mp_))
        rrows = []
        for (m, who, tiles), runs in by.items():
            good = [r for r, _ in runs if r["rc"] == 0]
            mp_ = runs[0][1]
            wall = statistics.median(r["wall"] for r in good) if good else None
            rss = max((r["rss_mb"] for r in good if r["rss_mb"]), default=None)
            rrows.append([m, f"{who} ({tiles})", fmt(wall), fmt(wall / mp_ if wall else None, "{:.0f}"), fmt(rss, "{:.0f}"),
                          f"{len(good)}/{len(runs)}"])
        side_ = 128 if args.smoke else 256
        w(f"The RRDB models on a {side_}x{side_} crop (same input for all; order reversed in the second round):")
        w("")
        w(B.md_table(["model", "runtime", "wall s (median)", "s per input MP", "peak RSS MB", "runs ok"], rrows))
        w("")
    w(f"PyTorch: {torch_note if not args.no_torch else 'skipped (--no-torch)'}.")
    return L

