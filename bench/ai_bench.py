"""Shared by bench/ai-quality.py and bench/ai-speed.py: the venv they run in, the daemon binary,
the models, and running a command under GNU time for its wall time and peak RSS.

The venv (default bench/.venv, or $UPSCALED_BENCH_VENV) is made on first use and filled from PyPI
only, with pinned versions: pip's config files and $PIP_FIND_LINKS are ignored (this machine's
pip config adds a local wheel folder; the benchmark must not depend on it). Idempotent: when the
pinned versions are already there, nothing is installed.
"""
import json
import os
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
VENV = os.environ.get("UPSCALED_BENCH_VENV", os.path.join(BENCH, ".venv"))
MODELS = os.environ.get("UPSCALED_MODELS_DIR", "/usr/local/share/upscaled/models")
TEST_IMAGES = os.environ.get("UPSCALED_TEST_IMAGES", "/usr/local/share/upscaled/test-images")
REFERENCE = os.path.join(BENCH, "ai-reference.py")
CONVERT = "/usr/bin/convert"        # ImageMagick itself (a wrapper may sit earlier on PATH)

# Pinned: what these scripts were written and measured with (PyPI, 2026-12).
BASE = ["numpy==2.4.6", "pillow==13.0.0", "scipy==1.17.1", "scikit-image==0.26.0", "ncnn==1.0.20261020"]
# PyPI's Linux torch wheel is the CUDA build: it needs its nvidia-* / cuda-* dependencies (~4 GB) even
# to import on a CPU-only machine (with --no-deps, `import torch` fails: libcudart.so.13 not found).
TORCH = ["torch==2.15.0"]

# The built-in models: name -> file stem of the 4x variant.
MODEL_STEMS = {
    "realesr-animevideov3": "realesr-animevideov3-x4",
    "realesrgan-x4plus-anime": "realesrgan-x4plus-anime",
    "realesrgan-x4plus": "realesrgan-x4plus",
}


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pip_env():
    env = dict(os.environ)
    env.pop("PIP_FIND_LINKS", None)
    env.pop("PIP_INDEX_URL", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def venv_python():
    return os.path.join(VENV, "bin", "python")


def installed(py, pins):
    """True when every `name==version` is installed in the venv."""
    code = ("import importlib.metadata as m, sys\n"
            "ok = True\n"
            "for p in sys.argv[1:]:\n"
            "    n, v = p.split('==')\n"
            "    try: ok = ok and m.version(n) == v\n"
            "    except m.PackageNotFoundError: ok = False\n"
            "sys.exit(0 if ok else 1)\n")
    return subprocess.run([py, "-c", code, *pins], capture_output=True).returncode == 0


def ensure_venv(torch=False):
    """Makes the venv and installs the pins (torch too when asked). Returns (python, torch_ok, note)."""
    py = venv_python()
    if not os.path.exists(py):
        log(f"creating the venv {VENV}")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if not installed(py, BASE):
        log("pip install " + " ".join(BASE))
        subprocess.run([py, "-m", "pip", "install", "-q", *BASE], check=True, env=pip_env())
    torch_ok, note = False, "not asked for (--no-torch)"
    if torch:
        if not installed(py, TORCH):
            log("pip install " + " ".join(TORCH) + " (with its nvidia dependencies: ~4 GB, a few minutes)")
            r = subprocess.run([py, "-m", "pip", "install", "-q", *TORCH, BASE[0]], env=pip_env(),
                               capture_output=True, text=True)
            if r.returncode != 0:
                note = "pip install failed: " + r.stderr.strip()[-300:]
                log(note)
        r = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
        torch_ok = r.returncode == 0
        note = f"torch {r.stdout.strip()} from PyPI" if torch_ok else ("import torch failed: " + r.stderr.strip()[-300:])
    return py, torch_ok, note


def find_binary(given=None):
    """The daemon to measure: --binary, $UPSCALED_BIN, else a release build in the repository."""
    for cand in [given, os.environ.get("UPSCALED_BIN"),
                 os.path.join(REPO, ".build-release", "release", "upscaled"),
                 os.path.join(REPO, ".build", "release", "upscaled")]:
        if cand and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    sys.exit("no upscaled binary: build one (swift build -c release) or pass --binary")


def binary_commit(binary):
    """The commit a binary was built from, when its build folder says (best effort)."""
    d = os.path.dirname(binary)
    for _ in range(4):
        p = os.path.join(d, "COMMIT")
        if os.path.exists(p):
            return open(p).read().strip()[:7]
        d = os.path.dirname(d)
    r = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return (r.stdout.strip() or "?") + (" (repository HEAD; the binary may differ)" if r.returncode == 0 else "")


def test_image(name):
    """The scikit-image sample `name` (.png or .jpg) that packaging/install-test-images installed."""
    for ext in (".png", ".jpg"):
        p = os.path.join(TEST_IMAGES, name + ext)
        if os.path.exists(p):
            return p
    sys.exit(f"{name} is not in {TEST_IMAGES}: run packaging/install-test-images")


def model_files(name):
    stem = os.path.join(MODELS, MODEL_STEMS[name])
    return stem + ".param", stem + ".bin"


def write_config(path, engine, model=None, threads=2, tile_size=None, memory_mb=None):
    lines = [f'engine = "{engine}"', "scale = 4", 'output_format = "png"']
    if engine == "ai":
        lines += ["", "[ai]", f'model = "{model}"', f"threads = {threads}"]
        if tile_size:
            lines.append(f"tile_size = {tile_size}")
        if memory_mb:
            lines.append(f"memory_mb = {memory_mb}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def timed(cmd, env=None, timeout=3600, limit_as_bytes=None):
    """Runs cmd under GNU time. Returns dict(rc, wall, rss_mb, user, sys, stdout, stderr)."""
    tf = f"/tmp/upscaled-ai-bench-time-{os.getpid()}.txt"
    pre = None
    if limit_as_bytes:
        import resource

        def pre():
            resource.setrlimit(resource.RLIMIT_AS, (limit_as_bytes, limit_as_bytes))
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", "-o", tf, *cmd], capture_output=True, text=True, env=env,
                       timeout=timeout, preexec_fn=pre)
    wall = time.perf_counter() - t
    out = dict(rc=r.returncode, wall=wall, stdout=r.stdout, stderr=r.stderr, rss_mb=None, user=None, sys=None)
    try:
        for line in open(tf):
            k, _, v = line.strip().rpartition(": ")
            if k == "Maximum resident set size (kbytes)":
                out["rss_mb"] = int(v) / 1024
            elif k == "User time (seconds)":
                out["user"] = float(v)
            elif k == "System time (seconds)":
                out["sys"] = float(v)
            elif k == "Exit status":
                out["rc"] = int(v)
        os.unlink(tf)
    except OSError:
        pass
    return out


def reference_json(result):
    for line in reversed(result["stdout"].splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def vips(*args):
    return subprocess.run(["vips", *map(str, args)], check=True, capture_output=True, text=True).stdout.strip()


def header(path, field):
    return subprocess.run(["vipsheader", "-f", field, path], check=True, capture_output=True, text=True).stdout.strip()


def machine_line():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {mem:.1f} GiB, {cpu}; 1-min load {load:.2f}"


def have(tool):
    return shutil.which(tool) is not None


def show_path(path):
    """A path relative to the repository when it is inside it, else as it is."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def source_dir(binary):
    """The source tree a binary was built in (…/X/.build/release/upscaled -> …/X), else the repository."""
    d = os.path.dirname(os.path.realpath(binary))
    for _ in range(5):
        if os.path.isdir(os.path.join(d, "Sources", "UpscaledCore", "AI")):
            return d
        d = os.path.dirname(d)
    return REPO


def tile_rules(binary):
    """TileSizing's inputs, read from the Swift sources the binary was built from (so the report can
    say which tiles the daemon chose; `upscaled upscale` does not print it): per family the context
    margin and bytes per tile pixel, the candidate sizes and strips kept. None when unreadable."""
    import re
    src = os.path.join(source_dir(binary), "Sources", "UpscaledCore", "AI")
    try:
        catalog = open(os.path.join(src, "AIModelCatalog.swift")).read()
        sizing = open(os.path.join(src, "TileSizing.swift")).read()
        def family_values(prop):
            body = catalog[catalog.index(f"var {prop}"):]
            body = body[:body.index("}\n")]
            return {k: int(v.replace("_", "")) for k, v in re.findall(r"case \.(\w+): ([\d_]+)", body)}
        margin, per_px = family_values("contextMargin"), family_values("bytesPerTilePixel")
        default_mb = family_values("defaultMemoryMB")
        cands = [int(x) for x in re.search(r"candidates = \[([\d, ]+)\]", sizing).group(1).split(",")]
        strips = int(re.search(r"stripsKept = (\d+)", sizing).group(1))
        return dict(margin=margin, per_px=per_px, candidates=cands, strips=strips, default_mb=default_mb)
    except (OSError, ValueError, AttributeError):
        return None


FAMILY = {"realesr-animevideov3": "compact", "realesrgan-x4plus-anime": "rrdb", "realesrgan-x4plus": "rrdb"}


def bytes_needed(rules, model, tile, w, h, scale=4):
    """TileSizing.bytesNeeded: the daemon's own estimate of a job's memory with tiles of `tile` px."""
    fam = FAMILY[model]
    margin, per_px = rules["margin"][fam], rules["per_px"][fam]
    side = tile + 2 * margin                 # every window has one shape, never larger than the image
    return min(side, w) * min(side, h) * per_px + rules["strips"] * (tile * scale) * (w * scale) * 3 + w * h * 3


def daemon_tile(rules, model, w, h, scale=4, memory_mb=None, tile_size=None):
    """(tile, margin, count) as the daemon's TileSizing + TilePlan choose them, or None; memory_mb
    None is the family's default (AIModelFamily.defaultMemoryMB)."""
    if rules is None:
        return None
    fam = FAMILY[model]
    margin, per_px = rules["margin"][fam], rules["per_px"][fam]
    memory_mb = memory_mb or rules["default_mb"][fam]
    tile = tile_size
    if tile is None:
        longest, budget, cands = max(w, h), memory_mb << 20, rules["candidates"]
        tile = cands[-1]
        for t in cands:
            if t > longest and any(c < t and c >= longest for c in cands):
                continue
            need = bytes_needed(rules, model, t, w, h, scale)
            if need <= budget:
                tile = t
                break
    count = -(-w // tile) * -(-h // tile)
    return tile, margin, count


def describe_tiles(chosen):
    if chosen is None:
        return "chosen from memory_mb"
    tile, margin, count = chosen
    return f"{count} tile{'s' if count != 1 else ''} of {tile} px, {margin} px margin"
