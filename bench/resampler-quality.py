#!/usr/bin/env python3
"""Which resampler should the local engine enlarge with? Measured, not assumed.

Round trip: a photo-like image is shrunk 2x (Lanczos-3), then enlarged 2x by each candidate;
the error is the mean absolute difference to the original (0-255 scale, lower is better);
the time is the median of 5 runs of the `vips` command. Prints a Markdown table.

    bench/resampler-quality.py [--size 1000] [--images 3]
"""
import argparse, os, statistics, subprocess, tempfile, time

CANDIDATES = [
    ("bicubic (vips resize, the daemon's choice)", ["resize", "{half}", "{out}", "2"]),
    ("vips resize --kernel lanczos3 (also bicubic when enlarging)", ["resize", "{half}", "{out}", "2", "--kernel", "lanczos3"]),
    ("lbb (vips affine)", ["affine", "{half}", "{out}", "2 0 0 2", "--interpolate", "lbb"]),
    ("nohalo (vips affine)", ["affine", "{half}", "{out}", "2 0 0 2", "--interpolate", "nohalo"]),
    ("bilinear (vips affine)", ["affine", "{half}", "{out}", "2 0 0 2", "--interpolate", "bilinear"]),
]

def vips(*args):
    return subprocess.run(["vips", *args], check=True, capture_output=True, text=True).stdout.strip()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--images", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="upscaled-resampler-")
    errors = {name: [] for name, _ in CANDIDATES}
    times = {name: [] for name, _ in CANDIDATES}
    for i in range(args.images):
        original = os.path.join(work, f"orig{i}.v")
        subprocess.run(["convert", "-seed", str(1000 + i), "-size", f"{args.size}x{args.size}", "plasma:", "-depth", "8",
                        os.path.join(work, f"orig{i}.png")], check=True)
        vips("copy", os.path.join(work, f"orig{i}.png"), original)
        half = os.path.join(work, f"half{i}.v")
        vips("resize", original, half, "0.5", "--kernel", "lanczos3")
        for name, template in CANDIDATES:
            out = os.path.join(work, f"out{i}.v")
            argv = [a.format(half=half, out=out) for a in template]
            runs = []
            for _ in range(5):
                t = time.perf_counter(); vips(*argv); runs.append(time.perf_counter() - t)
            times[name].append(statistics.median(runs))
            # Crop to the original size (affine may add an edge pixel) and compare.
            cropped = os.path.join(work, f"crop{i}.v")
            vips("crop", out, cropped, "0", "0", str(args.size), str(args.size))
            diff = os.path.join(work, f"diff{i}.v"); absd = os.path.join(work, f"abs{i}.v")
            vips("subtract", original, cropped, diff); vips("abs", diff, absd)
            errors[name].append(float(vips("avg", absd)))
    print(f"| resampler | mean abs error (lower is better) | median time, {args.size // 2}² → {args.size}² |")
    print("|---|---|---|")
    for name, _ in CANDIDATES:
        print(f"| {name} | {statistics.mean(errors[name]):.3f} | {statistics.median(times[name]) * 1000:.0f} ms |")
    subprocess.run(["rm", "-rf", work])

if __name__ == "__main__":
    main()
