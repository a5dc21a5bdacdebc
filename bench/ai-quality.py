#!/usr/bin/env python3
"""How good is the AI engine, on pictures nobody here made? Measured, with the same round trip
for every method.

Each scikit-image sample image (installed by packaging/install-test-images; alpha flattened on
white, cropped to a multiple of 4) is shrunk 4x by libvips (`vips resize 0.25 --kernel lanczos3`),
enlarged 4x again by each method, and compared with the original: PSNR (dB, higher is better) and
SSIM (0-1, higher is better), from scikit-image, on RGB (grey images on their one band).

Methods: the daemon's `local` engine (libvips bicubic), ImageMagick `-filter Lanczos -resize 400%`,
the daemon's `ai` engine with each built-in model (`upscaled upscale IN OUT` with `[ai] model`),
the same models run untiled by the PyPI `ncnn` wheel (bench/ai-reference.py), and
realesr-animevideov3 re-implemented in PyTorch with the weights read from the ncnn files.

It also checks that our output is the reference's: the daemon (tiled) against the wheel (untiled),
per model, max difference in 8-bit levels, on the shrunk inputs and on bigger ones cut into many
tiles on purpose (`[ai] tile_size`).

    bench/ai-quality.py [--binary B] [--pictures docs/images] [--no-torch] [--smoke]

Prints Markdown tables on stdout (progress on stderr). Python 3 standard library; everything else
goes into the venv bench/ai_bench.py makes (pinned, from PyPI), and the script re-runs itself there.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ai_bench as B  # noqa: E402
import ai_quality_report as R  # noqa: E402

IMAGES = ["astronaut", "chelsea", "coffee", "motorcycle_left", "camera", "page", "text", "logo"]
MODELS = ["realesr-animevideov3", "realesrgan-x4plus-anime", "realesrgan-x4plus"]
SHORT = {"realesr-animevideov3": "animevideov3", "realesrgan-x4plus-anime": "x4plus-anime",
         "realesrgan-x4plus": "x4plus"}


def prepare(name, work):
    """The original (alpha on white, 8-bit, a multiple of 4) and its 4x shrunk copy."""
    src = B.test_image(name)
    flat = os.path.join(work, f"{name}-flat.v")
    if int(B.header(src, "bands")) in (2, 4):
        B.vips("flatten", src, flat, "--background", "255")
    else:
        B.vips("copy", src, flat)
    w, h = int(B.header(flat, "width")), int(B.header(flat, "height"))
    orig = os.path.join(work, f"{name}.png")
    B.vips("crop", flat, orig, 0, 0, w - w % 4, h - h % 4)
    small = os.path.join(work, f"{name}-small.png")
    B.vips("resize", orig, small, "0.25", "--kernel", "lanczos3")
    return orig, small


class Runner:
    def __init__(self, args, py, work):
        self.args, self.py, self.work = args, py, work
        self.configs = {}
        self.seconds = {}
        self.failures = []

    def config(self, key, **kw):
        if key not in self.configs:
            self.configs[key] = B.write_config(os.path.join(self.work, f"config-{len(self.configs)}.toml"), **kw)
        return self.configs[key]

    def _run(self, method, cmd, out):
        if os.path.exists(out):
            os.unlink(out)
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.seconds[method] = self.seconds.get(method, 0.0) + time.perf_counter() - t
        if r.returncode != 0 or not os.path.exists(out):
            self.failures.append(f"{method}: `{' '.join(cmd)}` failed ({r.returncode}): {r.stderr.strip()[-300:]}")
            return None
        return out

    def daemon(self, method, small, out, engine, model=None, tile_size=None):
        cfg = self.config((engine, model, tile_size), engine=engine, model=model, threads=2, tile_size=tile_size)
        return self._run(method, [self.args.binary, "upscale", small, out, "--config", cfg], out)

    def lanczos(self, small, out):
        return self._run("Lanczos", [B.CONVERT, small, "-filter", "Lanczos", "-resize", "400%", out], out)

    def reference(self, method, runtime, model, small, out):
        param, binf = B.model_files(model)
        return self._run(method, [self.py, B.REFERENCE, runtime, small, out, "--param", param, "--bin", binf,
                                  "--threads", "2"], out)


def load(path, grey):
    """8-bit pixels as numpy, grey (one band) when the original is."""
    import numpy as np
    from PIL import Image
    im = Image.open(path)
    if grey and im.mode != "L":
        # The engine's own way back to grey (libvips sRGB -> B_W), so the comparison sees one conversion.
        g = path + ".grey.png"
        B.vips("colourspace", path, g, "b-w")
        im = Image.open(g)
    if not grey and im.mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im, dtype=np.uint8)


def metrics(orig, out):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    if orig.shape != out.shape:
        raise ValueError(f"shape {out.shape} is not the original's {orig.shape}")
    psnr = peak_signal_noise_ratio(orig, out, data_range=255)
    ssim = structural_similarity(orig, out, data_range=255, channel_axis=2 if orig.ndim == 3 else None)
    return psnr, ssim


def diff(a, b):
    import numpy as np
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(d.max()), float((d > 0).mean() * 100)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="the upscaled binary (default: $UPSCALED_BIN, .build-release, .build)")
    ap.add_argument("--images", default=",".join(IMAGES))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--pictures", help="write the side-by-side crops into this folder (e.g. docs/images)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyPI torch (and its ~4 GB install)")
    ap.add_argument("--no-wheel", action="store_true", help="skip the PyPI ncnn wheel")
    ap.add_argument("--smoke", action="store_true", help="two images, the fast model: checks the script works")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    if args.smoke:
        args.images, args.models, args.no_torch = "astronaut,page", "realesr-animevideov3", True
    args.binary = B.find_binary(args.binary)
    py, torch_ok, torch_note = B.ensure_venv(torch=not args.no_torch)
    if os.path.realpath(sys.prefix) != os.path.realpath(B.VENV) and not os.environ.get("UPSCALED_BENCH_IN_VENV"):
        env = dict(os.environ, UPSCALED_BENCH_IN_VENV="1", UPSCALED_BENCH_TORCH=torch_note if torch_ok else "",
                   UPSCALED_BENCH_TORCH_NOTE=torch_note)
        argv = [py, os.path.abspath(__file__), *sys.argv[1:]]
        if "--binary" not in sys.argv:
            argv += ["--binary", args.binary]
        os.execve(py, argv, env)
    torch_ok = bool(os.environ.get("UPSCALED_BENCH_TORCH")) and not args.no_torch
    torch_note = os.environ.get("UPSCALED_BENCH_TORCH_NOTE", torch_note)

    images = [s for s in args.images.split(",") if s]
    models = [s for s in args.models.split(",") if s]
    work = tempfile.mkdtemp(prefix="upscaled-ai-quality-")
    run = Runner(args, py, work)
    rules = B.tile_rules(args.binary)
    started = time.perf_counter()

    methods = ["bicubic (local)", "Lanczos (ImageMagick)"] + [f"ai {SHORT[m]}" for m in models]
    refs = [] if args.no_wheel else [f"ncnn wheel {SHORT[m]}" for m in models]
    if torch_ok and "realesr-animevideov3" in models:
        refs.append("PyTorch animevideov3")
    scores = {}            # (image, method) -> (psnr, ssim)
    agreement = []         # rows of the ours-vs-reference table
    originals, smalls, outputs = {}, {}, {}
    for name in images:
        orig, small = prepare(name, work)
        originals[name], smalls[name] = orig, small
        grey = int(B.header(orig, "bands")) == 1
        ref = load(orig, grey)
        w, h = int(B.header(small, "width")), int(B.header(small, "height"))
        B.log(f"{name}: {w}x{h} -> {4 * w}x{4 * h}")
        outs = {}
        outs["bicubic (local)"] = run.daemon("bicubic (local)", small, os.path.join(work, f"{name}-local.png"), "local")
        outs["Lanczos (ImageMagick)"] = run.lanczos(small, os.path.join(work, f"{name}-lanczos.png"))
        for m in models:
            outs[f"ai {SHORT[m]}"] = run.daemon(f"ai {SHORT[m]}", small, os.path.join(work, f"{name}-ai-{SHORT[m]}.png"), "ai", m)
            if not args.no_wheel:
                outs[f"ncnn wheel {SHORT[m]}"] = run.reference(f"ncnn wheel {SHORT[m]}", "ncnn", m, small,
                                                               os.path.join(work, f"{name}-wheel-{SHORT[m]}.png"))
        if "PyTorch animevideov3" in refs:
            outs["PyTorch animevideov3"] = run.reference("PyTorch animevideov3", "torch", "realesr-animevideov3", small,
                                                         os.path.join(work, f"{name}-torch.png"))
        outputs[name] = outs
        pixels = {}
        for method, path in outs.items():
            if path:
                pixels[method] = load(path, grey)
                scores[(name, method)] = metrics(ref, pixels[method])
        for m in models:
            ours, wheel = pixels.get(f"ai {SHORT[m]}"), pixels.get(f"ncnn wheel {SHORT[m]}")
            if ours is not None and wheel is not None:
                agreement.append((SHORT[m], f"{name} (shrunk), {w}x{h}", B.describe_tiles(B.daemon_tile(rules, m, w, h)),
                                  "wheel, untiled", *diff(ours, wheel)))
        if "realesr-animevideov3" in models:
            ours, torch_px = pixels.get("ai animevideov3"), pixels.get("PyTorch animevideov3")
            if ours is not None and torch_px is not None:
                agreement.append(("animevideov3", f"{name} (shrunk), {w}x{h}",
                                  B.describe_tiles(B.daemon_tile(rules, "realesr-animevideov3", w, h)),
                                  "PyTorch, untiled", *diff(ours, torch_px)))

    # Tiling: bigger inputs cut into many tiles on purpose, against the wheel untiled.
    tiling = [("realesr-animevideov3", "astronaut", None, None), ("realesr-animevideov3", "astronaut", None, 64),
              ("realesr-animevideov3", "coffee", None, 100),
              ("realesrgan-x4plus-anime", "astronaut", 4, 32), ("realesrgan-x4plus", "chelsea", 4, 40)]
    if not args.no_wheel:
        for m, name, shrink, tile in tiling:
            if m not in models or name not in images:
                continue
            src = originals[name] if shrink is None else smalls[name]
            w, h = int(B.header(src, "width")), int(B.header(src, "height"))
            ours = run.daemon(f"tiling {SHORT[m]}", src, os.path.join(work, f"{name}-tiled-{tile}.png"), "ai", m, tile)
            wheel = run.reference(f"tiling wheel {SHORT[m]}", "ncnn", m, src, os.path.join(work, f"{name}-untiled-{tile}.png"))
            if ours and wheel:
                grey = int(B.header(src, "bands")) == 1
                label = ("`tile_size = %d`: " % tile if tile else "") + B.describe_tiles(B.daemon_tile(rules, m, w, h, tile_size=tile))
                agreement.append((SHORT[m], f"{name}{' (shrunk)' if shrink else ''}, {w}x{h}", label, "wheel, untiled",
                                  *diff(load(ours, grey), load(wheel, grey))))

    # RRDB's margin: the wheel cut into 48 px tiles (the size a tight ai.memory_mb gives; with the
    # defaults this input is one tile) at several margins, against untiled.
    margins = []
    if not args.no_wheel and "astronaut" in images:
        for m in [m for m in models if B.FAMILY[m] == "rrdb"]:
            small = smalls["astronaut"]
            w, h = int(B.header(small, "width")), int(B.header(small, "height"))
            tile = 48
            untiled = outputs["astronaut"].get(f"ncnn wheel {SHORT[m]}")
            if not untiled:
                continue
            ref_px = load(untiled, False)
            orig_px = load(originals["astronaut"], False)
            for margin in (16, 32, 64):
                out = os.path.join(work, f"margin-{SHORT[m]}-{margin}.png")
                param, binf = B.model_files(m)
                got = run._run(f"margin {SHORT[m]}", [py, B.REFERENCE, "ncnn", small, out, "--param", param, "--bin", binf,
                                                      "--threads", "2", "--tile", str(tile), "--margin", str(margin)], out)
                if got:
                    px = load(got, False)
                    import numpy as np
                    mad = float(np.abs(px.astype(np.int16) - ref_px.astype(np.int16)).mean())
                    margins.append((SHORT[m], tile, margin, *diff(px, ref_px), mad, metrics(orig_px, px)[0],
                                    metrics(orig_px, ref_px)[0]))

    print("\n".join(R.report(args, images, models, SHORT, methods, refs, scores, agreement, margins, run,
                              torch_note, work, originals, smalls, outputs)))
    B.log(f"done in {time.perf_counter() - started:.0f} s")
    if args.keep:
        B.log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
