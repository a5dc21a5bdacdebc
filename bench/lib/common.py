"""Constants and small helpers shared by the sections and the report."""

import math
import os
import statistics
import struct
import subprocess
import sys
import time
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))     # bench/lib/common.py
SECTIONS = ["idle", "latency", "throughput", "sweep", "memory", "queue", "burst", "cloud", "resampler"]
# Only when named in --only. The AI sections pip-install into bench/.venv (~5.5 GB with torch) and take
# ~15 minutes each; the cluster section (several daemons on one root) is not one of the targets.
AI_SECTIONS = ["ai-quality", "ai-speed"]
OPTIONAL_SECTIONS = AI_SECTIONS + ["cluster", "web"]

# What each mode does. Full: the sizes. Smoke: the same code paths, tiny.
FULL = dict(lat_n=1000, lat_rounds=2, tp_n=200, tp_size=1000, tp_runs=3, sweep_n=12, sweep_runs=3,
            big=2048, mem_runs=3, queue_n=10000, queue_runs=3, idle_s=60, idle_settle_s=30, burst_n=10000, burst_runs=3,
            burst_timeout=900, cloud_files=400, cluster_n=48, cluster_runs=3,
            web_failed=10_000, web_drops=500, web_blocks=5, web_clients=50)
SMOKE = dict(lat_n=40, lat_rounds=1, tp_n=6, tp_size=256, tp_runs=3, sweep_n=2, sweep_runs=2,
             big=512, mem_runs=2, queue_n=300, queue_runs=1, idle_s=5, idle_settle_s=1, burst_n=300, burst_runs=1,
             burst_timeout=120, cloud_files=30, cluster_n=6, cluster_runs=1,
             web_failed=300, web_drops=20, web_blocks=2, web_clients=10)

# The targets.
TARGET_P99_MS = 10.0
TARGET_VS_VIPS = 1.10
TARGET_VS_IM = 3.0
TARGET_BYTES_VS_IM = 1.15
TARGET_BIG_MB = 100.0
TARGET_QUEUE_MB = 60.0

# Sampled PNG encoder settings (libvips pngsave compression x filter). (6, none) is the vips CLI default.
SWEEP_POINTS = [(0, "none"), (1, "none"), (1, "all"), (2, "all"), (3, "all"), (6, "none"), (6, "all"), (9, "all")]


class Broken(Exception):
    """Something is actually broken (not merely slow): the run exits non-zero."""


# --------------------------------------------------------------------------------------------
# Small helpers


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    """Nearest-rank percentile (p in 0..100)."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def mb(kib):
    return kib / 1024


def fmt_bytes(n):
    return f"{n / 1e6:,.1f} MB"


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, capture_output=True, text=True, **kw).stdout


def dir_files(path):
    try:
        return [e for e in os.scandir(path) if e.is_file(follow_symlinks=False) and not e.name.startswith(".")]
    except FileNotFoundError:
        return []


def dir_bytes(path):
    return sum(e.stat(follow_symlinks=False).st_size for e in dir_files(path))


def png_bytes(w, h, seed=0):
    """A small valid RGB PNG (pure Python), content varying with seed."""
    raw = bytearray()
    for y in range(h):
        raw.append(0)
        for x in range(w):
            raw += bytes(((x * 16 + seed) & 255, (y * 16 + seed * 7) & 255, ((x ^ y) * 8) & 255))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def run_parallel(cmds, parallel):
    """Runs shell commands, `parallel` at a time; raises on the first failure."""
    running, queue = [], list(cmds)
    while queue or running:
        while queue and len(running) < parallel:
            c = queue.pop(0)
            running.append((c, subprocess.Popen(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        c, p = running.pop(0)
        _, err = p.communicate()
        if p.returncode != 0:
            raise Broken(f"`{c}` failed: {err.decode(errors='replace')[-500:]}")


# --------------------------------------------------------------------------------------------
# Report: Markdown helpers (lib/report/)


def verdict(ok):
    return "meets" if ok else "**misses**"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
