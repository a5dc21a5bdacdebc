"""Context: tools, machine, scratch folder; the daemon build; the test images."""

import datetime
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from .common import FULL, REPO, SMOKE, Broken, fmt_bytes, loadavg, log, png_bytes, run_parallel, sh

CTX = None      # the run's Ctx, set by main() in bench/run (memory.gnu_time puts its files in CTX.tmp)


class Ctx:
    def __init__(self, args):
        self.args = args
        self.p = SMOKE if args.smoke else FULL
        self.workers = args.workers or os.cpu_count()
        self.tmp = tempfile.mkdtemp(prefix="upscaled-bench-", dir=args.tmpdir)
        # The libvips sections measure the local engine against libvips and ImageMagick: defaults
        # otherwise, never the user's ~/.config/upscaled/config.toml. The idle section runs the
        # default engine (ai) with an empty configuration.
        self.config = os.path.join(self.tmp, "local-config.toml")
        with open(self.config, "w") as f:
            f.write('engine = "local"\n')
        self.default_config = os.path.join(self.tmp, "empty-config.toml")
        open(self.default_config, "w").close()
        self.convert = "/usr/bin/convert" if os.path.exists("/usr/bin/convert") else shutil.which("convert")
        self.results = {}
        self.commands = {}
        self.problems = []
        self.tiny = png_bytes(16, 16, 3)
        self.seq = 0

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def fresh(self, name):
        self.seq += 1
        p = self.path(f"{name}-{self.seq}")
        os.makedirs(p)
        return p


def machine_info(ctx):
    def first(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except Exception as e:      # noqa: BLE001 - reported, not fatal
            return f"unknown ({e})"

    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    im = first([ctx.convert, "-version"])
    m = re.search(r"ImageMagick (\S+)", im)
    try:
        commit = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).strip()
        dirty = bool(sh(["git", "-C", REPO, "status", "--porcelain", "--", "Sources", "Package.swift"]).strip())
    except Exception:       # noqa: BLE001
        commit, dirty = "unknown", False
    return dict(
        cores=os.cpu_count(), mem_gib=mem_kib / 1024 / 1024, cpu=model, kernel=platform.release(),
        os=first(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        vips=first(["vips", "--version"]), imagemagick=m.group(1) if m else im,
        inotify_tools=first(["inotifywait", "--help"]).split(" - ")[0],
        fs=first(["findmnt", "-n", "-o", "FSTYPE", "-T", ctx.tmp]),
        commit=(commit + ("+dirty" if dirty else "")) if not ctx.args.binary else f"--binary (repo at {commit})",
        binary=ctx.binary, workers=ctx.workers,
        python=platform.python_version(), load_start=loadavg(),
        date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))


def machine_line(ctx, section=None):
    m = ctx.machine
    load = ctx.results.get(section, {}).get("load") if section else None
    extra = f" · 1-min load at start {load[0]:.2f}, at end {load[1]:.2f}" if load else ""
    return (f"*Machine: {m['cores']} cores, {m['mem_gib']:.1f} GiB, {m['cpu']}, {m['vips']}, "
            f"ImageMagick {m['imagemagick']}, {m['fs']} · daemon {ctx.args.commit or m['commit']}, {m['workers']} workers{extra}*")


def check_tools(ctx):
    missing = [t for t in ("vips", "inotifywait") if not shutil.which(t)]
    if not ctx.convert:
        missing.append("convert (ImageMagick)")
    if not os.path.exists("/usr/bin/time"):
        missing.append("/usr/bin/time (GNU time)")
    if missing:
        raise Broken("missing tools: " + ", ".join(missing) + " (packaging/install-deps --test installs them)")


def build(args):
    if args.binary:
        if not os.access(args.binary, os.X_OK):
            raise Broken(f"--binary {args.binary} is not an executable")
        return os.path.abspath(args.binary)
    cmd = ["swift", "build", "-c", "release", "--scratch-path", os.path.join(REPO, ".build-release"),
           "--product", "upscaled"] + shlex.split(os.environ.get("UPSCALED_SWIFT_BUILD_FLAGS", ""))
    log("building: " + " ".join(cmd) + " (incremental; excluded from every timing)")
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        raise Broken("the release build failed (output above); pass --binary PATH to use another build, or "
                     "extra swift build flags in UPSCALED_SWIFT_BUILD_FLAGS")
    with open(os.path.join(REPO, "Package.swift")) as f:
        if '"upscaled-fake-api"' in f.read():          # the loopback Stability API stand-in, for section 6
            fake = cmd[:cmd.index("upscaled")] + ["upscaled-fake-api"] + cmd[cmd.index("upscaled") + 1:]
            if subprocess.run(fake, cwd=REPO, capture_output=True).returncode != 0:
                log("could not build upscaled-fake-api: the cloud section will be skipped")
    return os.path.join(REPO, ".build-release", "release", "upscaled")


# --------------------------------------------------------------------------------------------
# Test images (generated, never committed)


def make_images(ctx):
    p = ctx.p
    d = ctx.path("images")
    os.makedirs(d)
    s = p["tp_size"]
    cmds, names = [], []
    half = p["tp_n"] // 2
    for i in range(p["tp_n"]):
        # Photo-like content: seeded plasma, 8-bit; half PNG, half JPEG (quality 90).
        if i < half:
            name = f"p{i:03d}.png"
            cmds.append(f"{ctx.convert} -seed {i + 1} -size {s}x{s} plasma: -depth 8 {d}/{name}")
        else:
            name = f"j{i:03d}.jpg"
            cmds.append(f"{ctx.convert} -seed {i + 1} -size {s}x{s} plasma: -depth 8 -quality 90 {d}/{name}")
        names.append(name)
    b = p["big"]
    cmds.append(f"{ctx.convert} -seed 4242 -size {b}x{b} plasma: -depth 8 {d}/big.png")
    t = time.monotonic()
    run_parallel(cmds, os.cpu_count())
    ctx.images, ctx.image_names, ctx.big = d, names, os.path.join(d, "big.png")
    pngs = [n for n in names if n.endswith(".png")]
    jpgs = [n for n in names if n.endswith(".jpg")]
    ctx.image_desc = (f"{len(pngs)} PNG + {len(jpgs)} JPEG (q90), {s}x{s}, ImageMagick `plasma:` seeded 1..{len(names)}, "
                      f"8-bit; {fmt_bytes(sum(os.path.getsize(os.path.join(d, n)) for n in names))} in all")
    log(f"images: {ctx.image_desc} ({time.monotonic() - t:.0f} s)")
