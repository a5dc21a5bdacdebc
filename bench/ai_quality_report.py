"""bench/ai-quality.py's report: the Markdown tables made from its measurements (PSNR and SSIM per
image and method, our output against the references, RRDB's tile margins, the seconds per method),
and the side-by-side pictures (`--pictures`). Standard library only."""
import os
import subprocess

import ai_bench as B

# Crops for the pictures: image -> (x, y) of a 128x128 square of the original.
CROPS = {"astronaut": (160, 50), "chelsea": (150, 60), "coffee": (300, 210), "motorcycle_left": (440, 200),
         "camera": (190, 60), "page": (4, 24), "text": (60, 20), "logo": (200, 100)}
PICTURES = [("ai-quality-photos.png", ["astronaut", "chelsea", "coffee"]),
            ("ai-quality-drawings.png", ["page", "logo", "text"])]


def pictures(outdir, work, originals, smalls, outputs, methods):
    """One PNG per group: a row per image, a 128 px crop (shown 2x, nearest) per method, labelled."""
    os.makedirs(outdir, exist_ok=True)
    made = []
    for filename, names in PICTURES:
        tiles = []
        for name in names:
            if name not in originals:
                continue
            x, y = CROPS[name]
            cols = [("original", originals[name], 1), ("input (shrunk 4x)", smalls[name], 4)]
            cols += [(m, outputs[name].get(m), 1) for m in methods]
            for label, path, factor in cols:
                if path is None:
                    continue
                crop = os.path.join(work, f"pic-{name}-{len(tiles)}.png")
                # The input is 4x smaller: its matching square, blown up 4x more (nearest) than the rest.
                s = 128 // factor
                B.vips("extract_area", path, crop + ".v", x // factor, y // factor, s, s)
                B.vips("zoom", crop + ".v", crop, 2 * factor, 2 * factor)
                tiles.append((f"{name}\n{label}" if label == "original" else label, crop))
        if not tiles:
            continue
        out = os.path.join(outdir, filename)
        cmd = ["/usr/bin/montage", "-font", "DejaVu-Sans", "-pointsize", "15", "-background", "white"]
        for label, path in tiles:
            cmd += ["-label", label, path]
        cmd += ["-tile", f"{len(methods) + 2}x", "-geometry", "+3+3", "-strip", out]
        subprocess.run(cmd, check=True)
        made.append(out)
    return made


def report(args, images, models, short, methods, refs, scores, agreement, margins, run, torch_note, work,
           originals, smalls, outputs):
    """The lines ai-quality.py prints, from what main() measured (and the pictures, with --pictures):
    `scores` (image, method) -> (psnr, ssim), `agreement` and `margins` the rows main() collects,
    `run` the Runner (its seconds and failures); `short` is SHORT, model -> short name."""
    all_methods = methods + refs
    L = []
    w = L.append
    w(f"Round trip: shrunk 4x by `vips resize 0.25 --kernel lanczos3`, enlarged 4x, compared with the original. "
      f"{len(images)} images from scikit-image's samples, binary `{B.show_path(args.binary)}` "
      f"({B.binary_commit(args.binary)}). *Machine: {B.machine_line()}.*")
    w("")
    for metric, idx, fmt, unit in (("PSNR", 0, "{:.2f}", "dB, higher is better"), ("SSIM", 1, "{:.4f}", "higher is better")):
        rows = []
        for name in images:
            size = f"{B.header(smalls[name], 'width')}x{B.header(smalls[name], 'height')}"
            row = [f"{name} ({size})"]
            for meth in all_methods:
                s = scores.get((name, meth))
                row.append(fmt.format(s[idx]) if s else "—")
            rows.append(row)
        mean = ["**mean**"]
        for meth in all_methods:
            vals = [scores[(n, meth)][idx] for n in images if (n, meth) in scores]
            mean.append(("**" + fmt.format(sum(vals) / len(vals)) + "**") if len(vals) == len(images) else "—")
        rows.append(mean)
        w(f"**{metric}** ({unit}); input size in brackets:")
        w("")
        w(B.md_table(["image"] + all_methods, rows))
        w("")
    w("**Our output against the reference** (8-bit levels; the daemon always tiles through `TilePlan`, "
      "a small input is one tile):")
    w("")
    w(B.md_table(["model", "input", "daemon's tiles", "reference", "max difference", "pixels differing"],
               [(r[0], r[1], r[2], r[3], r[4], f"{r[5]:.3f} %") for r in agreement]))
    w("")
    if margins:
        w("**RRDB tiles and their margin**: astronaut shrunk to 128x128, the wheel cut into the daemon's tiles "
          "(bench/ai-reference.py `--tile`) at several context margins, against the wheel untiled; "
          "the work per tile grows as (tile + 2·margin)²:")
        w("")
        w(B.md_table(["model", "tile", "margin", "max difference", "pixels differing", "mean abs difference",
                    "PSNR to the original", "untiled PSNR", "work per inner tile"],
                   [(r[0], f"{r[1]} px", f"{r[2]} px", r[3], f"{r[4]:.2f} %", f"{r[5]:.3f}", f"{r[6]:.2f}", f"{r[7]:.2f}",
                     f"{(r[1] + 2 * r[2]) ** 2 / r[1] ** 2:.1f}x") for r in margins]))
        w("")
    w("Seconds per method for the whole run (all images, one process per image, not interleaved: "
      "for orientation only; bench/ai-speed.py measures speed): "
      + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()) + ".")
    w("")
    w(f"PyTorch: {torch_note}.")
    if args.pictures:
        made = pictures(args.pictures, work, originals, smalls, outputs,
                        ["bicubic (local)", "Lanczos (ImageMagick)"] + [f"ai {short[m]}" for m in models])
        w("")
        w("Pictures: " + ", ".join(f"`{os.path.relpath(p, B.REPO)}`" for p in made) + ".")
    if run.failures:
        w("")
        w("Failures:")
        w("")
        for f in run.failures:
            w(f"- {f}")
    return L
