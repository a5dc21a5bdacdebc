#!/usr/bin/env python3
"""How fast is the AI engine, and how much memory does it take? Side by side in one run.

realesr-animevideov3 at 4x on inputs made from real photos (the scikit-image samples, resized by
libvips and joined into a grid: ~1 MP = 1000x1000, ~3 MP = 2000x1500, ~12 MP = 4000x3000):

- the daemon: `upscaled upscale IN OUT --config C` (`engine = "ai"`, `scale = 4`, `[ai] threads = 2`),
  tiles chosen from `memory_mb` (512 by default) as in production;
- the PyPI `ncnn` wheel, untiled, 2 threads (bench/ai-reference.py ncnn); where an untiled run
  cannot fit in memory, the same wheel tiled exactly as the daemon tiles (for the time, not the
  memory);
- PyTorch CPU (PyPI torch), SRVGGNetCompact with the ncnn weights, untiled, 2 threads.

Every command runs under GNU time (wall, peak RSS). The tools are interleaved in rounds, their order
rotated every round; ratios are computed within a round, then the median is taken. Each reference
writes its PNG with zlib level 1 (the daemon's default), and reports its inference time apart.
Then the daemon alone on the 1 MP input with `[ai] tile_size` and `[ai] memory_mb` settings.

    bench/ai-speed.py [--binary B] [--rounds 3] [--no-torch] [--sizes 1,3,12] [--smoke]

Prints Markdown tables on stdout (progress on stderr). Standard library; the rest comes from the
venv that bench/ai_bench.py makes (pinned, PyPI only), in which the references run.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ai_bench as B  # noqa: E402

MODEL = "realesr-animevideov3"
PHOTOS = ["motorcycle_left", "astronaut", "coffee", "chelsea", "rocket", "retina", "hubble_deep_field", "coins",
          "camera", "brick", "page", "text"]
TARGET_VS_WHEEL = 1.10
TARGET_VS_TORCH = 2.0
TARGET_RSS_MB = 700


def make_inputs(work, sizes):
    """Photos resized to 1000x1000 (sRGB, no alpha), then cut / joined to each size."""
    cells = []
    for i, name in enumerate(PHOTOS):
        cell = os.path.join(work, f"cell{i}.v")
        rgb = os.path.join(work, f"cell{i}-rgb.v")
        B.vips("thumbnail", B.test_image(name), cell, 1000, "--height", 1000, "--size", "force")
        if int(B.header(cell, "bands")) in (2, 4):
            B.vips("flatten", cell, cell + ".f.v", "--background", "255")
            cell = cell + ".f.v"
        B.vips("colourspace", cell, rgb, "srgb")
        cells.append(rgb)
    grid = os.path.join(work, "grid.v")
    B.vips("arrayjoin", " ".join(cells), grid, "--across", 4)
    made = {}
    for label, (w, h) in sizes.items():
        out = os.path.join(work, f"input-{label}.png")
        if (w, h) == (1000, 1000):
            B.vips("copy", cells[0], out)
        else:
            B.vips("crop", grid, out, 0, 0, w, h)
        made[label] = (out, w * h / 1e6)
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="the upscaled binary (default: $UPSCALED_BIN, .build-release, .build)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-torch", action="store_true", help="skip PyPI torch (and its ~4 GB install)")
    ap.add_argument("--no-sweep", action="store_true", help="skip the tile_size / memory_mb settings")
    ap.add_argument("--torch-max-mp", type=float, default=1.5,
                    help="PyTorch only on inputs up to this size (it takes ~45 s per MP here: 12 MP would be ~9 min a run)")
    ap.add_argument("--untiled-limit-gb", type=float, default=16.0,
                    help="address-space cap for the untiled references (a run that needs more fails at once)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory-model table")
    ap.add_argument("--big-rounds", type=int, default=2, help="rounds for inputs over 4 MP (default 2)")
    ap.add_argument("--no-rrdb", action="store_true", help="skip the RRDB models' small table")
    ap.add_argument("--sizes", help="only these inputs, in MP: e.g. 12 or 1,3 (default: 1,3,12)")
    ap.add_argument("--smoke", action="store_true", help="tiny inputs, one round: checks the script works")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.binary = B.find_binary(args.binary)
    py, torch_ok, torch_note = B.ensure_venv(torch=not args.no_torch and not args.smoke)
    if args.smoke:
        args.rounds, args.no_torch = 1, True
        sizes = {"0.06 MP": (256, 256), "0.25 MP": (500, 500)}
    else:
        sizes = {"1 MP": (1000, 1000), "3 MP": (2000, 1500), "12 MP": (4000, 3000)}
        if args.sizes:
            wanted = {f"{s.strip()} MP" for s in args.sizes.split(",")}
            if not wanted <= set(sizes):
                sys.exit(f"--sizes: choose from {', '.join(k.split()[0] for k in sizes)}")
            sizes = {k: v for k, v in sizes.items() if k in wanted}
    use_torch = torch_ok and not args.no_torch
    param, binf = B.model_files(MODEL)
    work = tempfile.mkdtemp(prefix="upscaled-ai-speed-")
    started = time.perf_counter()
    inputs = make_inputs(work, sizes)
    configs = {}

    def config(tile=None, memory=None):
        key = (tile, memory)
        if key not in configs:
            configs[key] = B.write_config(os.path.join(work, f"config-{len(configs)}.toml"), engine="ai", model=MODEL,
                                          threads=2, tile_size=tile, memory_mb=memory)
        return configs[key]

    limit = int(args.untiled_limit_gb * 2**30)
    rules = B.tile_rules(args.binary)

    def ours(inp, tile=None, memory=None):
        out = os.path.join(work, "out-ours.png")
        r = B.timed([args.binary, "upscale", inp, out, "--config", config(tile, memory)])
        if os.path.exists(out):
            os.unlink(out)
        return r

    def reference(runtime, inp, tile=None, cap=True):
        out = os.path.join(work, f"out-{runtime}.png")
        cmd = [py, B.REFERENCE, runtime, inp, out, "--param", param, "--bin", binf, "--threads", "2"]
        if tile:
            cmd += ["--tile", str(tile), "--margin", "20"]
        r = B.timed(cmd, limit_as_bytes=limit if cap else None)
        r["json"] = B.reference_json(r) if r["rc"] == 0 else None
        if os.path.exists(out):
            os.unlink(out)
        return r

    # Which references can run untiled at which size: tried once, capped, before the rounds.
    feasible = {}
    for label, (inp, mp) in inputs.items():
        for runtime in ["ncnn"] + (["torch"] if use_torch and mp <= args.torch_max_mp else []):
            if mp > 4 or args.smoke:
                B.log(f"probe: {runtime} untiled at {label} (address space capped at {args.untiled_limit_gb:g} GiB)")
                r = reference(runtime, inp)
                feasible[(runtime, label)] = r
            else:
                feasible[(runtime, label)] = None        # small enough: runs in the rounds
    results = {}           # (tool, label) -> [runs]
    tools = ["ours", "ncnn"] + (["torch"] if use_torch else [])
    for rnd in range(args.rounds):
        for label, (inp, mp) in inputs.items():
            if mp > 4 and rnd >= args.big_rounds:
                continue
            order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
            for tool in order:
                if tool == "ours":
                    B.log(f"round {rnd + 1}: daemon, {label}")
                    r = ours(inp)
                    results.setdefault(("ours", label), []).append(r)
                    continue
                if tool == "torch" and mp > args.torch_max_mp:
                    continue
                probe = feasible.get((tool, label))
                if probe is not None and probe["rc"] != 0:
                    if tool == "ncnn":   # the wheel tiled as the daemon tiles, for the time
                        w_, h_ = sizes[label]
                        chosen = B.daemon_tile(rules, MODEL, w_, h_)
                        tile = chosen[0] if chosen else 384
                        B.log(f"round {rnd + 1}: ncnn wheel tiled {tile}, {label}")
                        results.setdefault(("ncnn-tiled", label), []).append(reference("ncnn", inp, tile, cap=False))
                    continue
                if probe is not None and rnd == 0:
                    results.setdefault((tool, label), []).append(probe)      # the probe was round 1's run
                    continue
                B.log(f"round {rnd + 1}: {tool}, {label}")
                results.setdefault((tool, label), []).append(reference(tool, inp))

    sweep = []
    if not args.no_sweep:
        inp, mp = inputs[list(inputs)[0]]
        settings = [(128, None), (256, None), (512, None), (1000, None), (None, 256), (None, 512), (None, 1024)]
        for rnd in range(2 if not args.smoke else 1):
            for tile, memory in (settings if rnd % 2 == 0 else settings[::-1]):
                B.log(f"sweep: tile_size {tile}, memory_mb {memory}")
                r = ours(inp, tile, memory)
                sweep.append(((tile, memory), r))

    # The RRDB models on a small input: the daemon's default tiles (small: their memory per pixel is
    # large), the daemon with one tile, and the wheel untiled.
    rrdb = []
    if not args.no_rrdb:
        side = 128 if args.smoke else 256
        small = os.path.join(work, "input-rrdb.png")
        B.vips("crop", inputs[list(inputs)[0]][0], small, 0, 0, side, side)
        for m in ("realesrgan-x4plus-anime", "realesrgan-x4plus"):
            mp_ = side * side / 1e6
            p_, b_ = B.model_files(m)
            for rnd in range(1 if args.smoke else 2):
                variants = [("daemon, default", None), ("daemon, one tile", side), ("wheel", None)]
                for who, tile in (variants if rnd % 2 == 0 else variants[::-1]):
                    B.log(f"rrdb: {m}, {who}")
                    out = os.path.join(work, "out-rrdb.png")
                    if who.startswith("daemon"):
                        cfg = B.write_config(os.path.join(work, f"config-rrdb-{m}-{tile}.toml"), engine="ai", model=m,
                                             threads=2, tile_size=tile)
                        r = B.timed([args.binary, "upscale", small, out, "--config", cfg])
                        tiles = B.describe_tiles(B.daemon_tile(rules, m, side, side, tile_size=tile))
                    else:
                        r = B.timed([py, B.REFERENCE, "ncnn", small, out, "--param", p_, "--bin", b_, "--threads", "2"])
                        tiles = "untiled"
                    if os.path.exists(out):
                        os.unlink(out)
                    rrdb.append(((m, who, tiles), r, mp_))

    # The daemon's memory model (TileSizing) against its peak RSS: single tiles of several sizes over a
    # 16 px baseline run (bytes per context pixel), then the same tile size on inputs cut into several
    # tiles (TilePlan gives every window one shape: edge and partial tiles read further inward).
    memory = []
    if not args.no_memory:
        src = inputs[list(inputs)[0]][0]
        cases = [("baseline", 16, 16), ("single", 256, 256), ("single", 384, 384), ("single", 512, 512),
                 ("tiled", 768, 384), ("tiled", 1000, 384), ("tiled", 1000, 500), ("tiled", 1000, 512)]
        if args.smoke:
            cases = cases[:3]
        for kind, side, tile in cases:
            inp = os.path.join(work, f"input-mem-{side}.png")
            if not os.path.exists(inp):
                B.vips("thumbnail", src, inp, side, "--height", side, "--size", "force")
            B.log(f"memory: {side}x{side}, tile_size {tile}")
            memory.append((kind, side, tile, ours(inp, tile=max(16, tile))))

    # ------------------------------------------------------------------ report
    def ok(runs):
        return [r for r in runs if r["rc"] == 0]

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
                name += " — " + B.describe_tiles(B.daemon_tile(rules, MODEL, *sizes[label]))
            rows.append([label, name, f"{fmt(wall)} s ({len(good)}/{len(runs)} ok)",
                         fmt(wall / mp if wall else None), fmt(infer / mp if infer else None),
                         fmt(cpu, "{:.1f}"), fmt(rss, "{:.0f}")])
    w(md_table(["input", "runtime", "wall (median)", "s per input MP, wall", "s per input MP, inference only",
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
    w(md_table(["target", "wanted", "measured", "verdict"], trows))
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
            setting += " (" + B.describe_tiles(B.daemon_tile(rules, MODEL, *sizes[label], memory_mb=mem_mb or 512,
                                                              tile_size=tile)) + ")"
            srows.append([setting, fmt(wall / mp if wall else None), fmt(rss, "{:.0f}"), f"{len(good)}/{len(runs)}"])
        w(f"The daemon alone on the {label} input with other `[ai]` settings (each run twice, order reversed "
          "the second time; default: memory_mb = 512, tile chosen from it):")
        w("")
        w(md_table(["setting", "s per input MP, wall", "peak RSS MB", "runs ok"], srows))
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
            predicted = B.bytes_needed(rules, MODEL, tile, w_, h_) / 2**20 if rules else None
            per_px = ((r["rss_mb"] - base) * 2**20 - B.bytes_needed(rules, MODEL, tile, w_, h_) + ctx_px
                      * rules["per_px"]["compact"]) / ctx_px if (rules and base and r["rss_mb"]) else None
            mrows.append([f"{side}x{side}, tile_size {tile}", f"{count} ({len(shapes)} context shape{'s' if len(shapes) > 1 else ''})",
                          fmt(predicted, "{:.0f}"), fmt(r["rss_mb"], "{:.0f}"),
                          fmt(r["rss_mb"] - base if base and r["rss_mb"] else None, "{:.0f}"),
                          fmt(per_px, "{:,.0f}")])
        w("The daemon's memory model against its peak RSS (`TileSizing.bytesNeeded`, which `memory_mb` is compared "
          "with; per-pixel cost = RSS over the baseline, less the model's strips and input, over the largest context):")
        w("")
        w(md_table(["input", "tiles", "TileSizing's estimate MB", "peak RSS MB", "over the baseline MB",
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
        w(md_table(["model", "runtime", "wall s (median)", "s per input MP", "peak RSS MB", "runs ok"], rrows))
        w("")
    w(f"PyTorch: {torch_note if not args.no_torch else 'skipped (--no-torch)'}.")
    print("\n".join(L))
    B.log(f"done in {time.perf_counter() - started:.0f} s")
    if args.keep:
        B.log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    broken = [k for k, runs in results.items() if k[0] == "ours" and not ok(runs)]
    return 1 if broken else 0


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
