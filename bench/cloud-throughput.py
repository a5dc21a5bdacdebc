#!/usr/bin/env python3
"""Cloud path benchmark: the daemon against the loopback API stand-in (upscaled-fake-api)
with a 1 s response time and the API's 150-requests-per-10-s limit.

Measures sustained requests per 10 s (target >= 135) and 429s caused by the daemon (target 0).
Prints a Markdown table on stdout.

    bench/cloud-throughput.py [--files N] [--delay S] [--concurrency C] [--bin DIR]
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

def find_bin(explicit):
    for d in [explicit, ".build-release/release", ".build/release", ".build/debug"]:
        if d and os.path.exists(os.path.join(d, "upscaled")) and os.path.exists(os.path.join(d, "upscaled-fake-api")):
            return d
    sys.exit("build first: swift build -c release --scratch-path .build-release (needs upscaled and upscaled-fake-api)")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--bin")
    args = ap.parse_args()
    bindir = find_bin(args.bin)
    work = tempfile.mkdtemp(prefix="upscaled-cloud-bench-")
    root, staging = os.path.join(work, "Upscale"), os.path.join(work, "staging")
    os.makedirs(os.path.join(root, "inbox")); os.makedirs(staging)
    stats = os.path.join(work, "stats.json")
    api = subprocess.Popen([os.path.join(bindir, "upscaled-fake-api"), "--delay", str(args.delay), "--stats", stats],
                           stdout=subprocess.PIPE, text=True)
    url, key = api.stdout.readline().split()
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write(f'engine = "fast"\nworkers = {args.concurrency}\n[stability]\nconcurrency = {args.concurrency}\n'
                f'cache = false\ntimeout_s = 30\n')
    env = dict(os.environ, STABILITY_API_HOST=url, STABILITY_API_KEY=key, HOME=work)
    daemon = subprocess.Popen([os.path.join(bindir, "upscaled"), "run", "--root", root, "--config", config],
                              env=env, stderr=open(os.path.join(work, "daemon.log"), "w"))
    # A 64x64 PNG (4096 pixels: inside fast's 1,024-1,048,576 range).
    base = os.path.join(work, "base.png")
    subprocess.run(["vips", "gaussnoise", base, "64", "64"], check=True)
    for i in range(args.files):
        shutil.copy(base, os.path.join(staging, f"img-{i:05d}.png"))
    time.sleep(1.5)                                   # let the daemon start (READY is not observed here)
    start = time.time()
    for name in sorted(os.listdir(staging)):
        os.rename(os.path.join(staging, name), os.path.join(root, "inbox", name))
    outbox = os.path.join(root, "outbox")
    deadline = start + args.files * args.delay + 600
    while time.time() < deadline:
        done = len(os.listdir(outbox)) if os.path.isdir(outbox) else 0
        if done >= args.files:
            break
        time.sleep(0.2)
    wall = time.time() - start
    daemon.send_signal(signal.SIGTERM); daemon.wait(timeout=60)
    api.send_signal(signal.SIGTERM); api.wait(timeout=30)
    rows = [r for r in json.load(open(stats)) if r["method"] == "POST"]
    times = sorted(r["t"] for r in rows)
    limited = sum(1 for r in json.load(open(stats)) if r["status"] == 429)
    # Requests in each 10 s window, sliding by 1 s, over the steady phase (first to last POST).
    windows = []
    t = times[0] if times else 0
    while times and t + 10 <= times[-1]:
        windows.append(sum(1 for x in times if t <= x < t + 10))
        t += 1
    outputs = len(os.listdir(outbox)) if os.path.isdir(outbox) else 0
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| files | {args.files} ({outputs} results) | all |")
    print(f"| API response time | {args.delay:.1f} s | |")
    print(f"| daemon concurrency | {args.concurrency} | |")
    print(f"| wall time | {wall:.1f} s | |")
    if len(times) > 1:
        print(f"| requests per 10 s, sustained (all POSTs / their span) | {10 * (len(times) - 1) / (times[-1] - times[0]):.1f} | >= 135 |")
    if windows:
        print(f"| requests per 10 s, median of 10 s windows sliding by 1 s | {statistics.median(windows):.0f} | |")
        print(f"| requests per 10 s, max | {max(windows)} | <= 150 |")
    print(f"| 429s caused by the daemon | {limited} | 0 |")
    shutil.rmtree(work, ignore_errors=True)
    ok = outputs == args.files and limited == 0
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
