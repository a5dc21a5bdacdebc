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
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ai_bench as B  # noqa: E402
import ai_speed_report as R  # noqa: E402

MODEL = "realesr-animevideov3"
PHOTOS = ["motorcycle_left", "astronaut", "coffee", "chelsea", "rocket", "retina", "hubble_deep_field", "coins",
          "camera", "brick", "page", "text"]


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
    print("\n".join(R.report(args, MODEL, inputs, sizes, rules, results, feasible, sweep, memory, rrdb,
                              use_torch, torch_note)))
    B.log(f"done in {time.perf_counter() - started:.0f} s")
    if args.keep:
        B.log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    broken = [k for k, runs in results.items() if k[0] == "ours" and not R.ok(runs)]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
