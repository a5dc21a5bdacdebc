"""The page under load (optional section, `--only web`): does a crowd of clients slow the pipeline?

One daemon (local engine) with its page on a free port and 10,000 files in failed/ (hard links of
one real photo, each with its sidecar, as the daemon files them). First the listings are timed
(the first page, the last page, a search, the HTML page, one file). Then files are dropped one
at a time and the drop→claim latency measured as in section 1, under three conditions: no client;
50 clients (threads, keep-alive connections; `web_crowd.py`) hammering `/api/jobs` and thumbnails
of the failed files (each a libvips `thumbnail` the first time) at nice 10; the same at nice 0.
The conditions are interleaved in blocks (order rotated), so the machine's drift falls on each
alike, and every round also drops as many files into a control claimer (`web_reference.py`: the
daemon's claim syscalls, one thread, nothing else), which tells the machine's share of the
crowd's effect from the daemon's. The issue's goal: p99 with the crowd at most 2x p99 without,
and the daemon's RSS within the memory goal + 30 MB.
"""

import json
import os
import threading
import time

from .common import Broken, loadavg, log, pct
from .daemon import Daemon, account, host_state, page_address, status_kib
from .inotify import IN_MOVED_TO, Inotify
from .web_crowd import Client, Crowd
from .web_reference import ReferenceClaimer

PHOTO = os.path.join(os.environ.get("UPSCALED_TEST_IMAGES", "/usr/local/share/upscaled/test-images"), "rocket.jpg")
RSS_GOAL_MB = 100 + 30      # section 3's peak RSS goal for a job, plus the 30 MB the issue allows the page


def fill_failed(root, n):
    """n files in failed/ as the daemon files them: the original (a hard link of one photo: a real
    JPEG for the thumbnails, no disk) and NAME.json beside it."""
    failed = os.path.join(root, "failed")
    os.makedirs(failed, exist_ok=True)
    for i in range(n):
        name = f"p{i:05d}.jpg"
        os.link(PHOTO, os.path.join(failed, name))
        with open(os.path.join(failed, name + ".json"), "w") as f:
            json.dump({"code": "too-large", "reason": f"{name} is over the limit (bench)", "file": name,
                       "fileBytesBase64": "", "engine": "local", "filedAt": "2026-12-04T00:00:00Z", "details": {}}, f)


def timed(client, path, n):
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        status, body = client.get(path)
        times.append((time.monotonic() - t0) * 1000)
        if status != 200:
            raise Broken(f"web: GET {path} answered {status}: {body[:200]}")
    return dict(p50=pct(times, 50), p99=pct(times, 99), n=n, bytes=len(body))


def walked(client, root, n):
    """The first page right after failed/ changed (a hidden file made or removed there changes
    its mtime, and the daemon walks the whole folder again), n times."""
    marker = os.path.join(root, "failed", ".bench-change")
    times = []
    for i in range(n):
        if i % 2:
            os.unlink(marker)
        else:
            open(marker, "w").close()
        times.append(timed(client, "/api/failed?limit=50", 1)["p50"])
    if os.path.exists(marker):
        os.unlink(marker)
    return dict(p50=pct(times, 50), p99=pct(times, 99), n=n, bytes=0)


def drops(ctx, stage, inbox, claims, names):
    """Each name renamed from `stage` into `inbox`, one at a time; ms from the rename to its claim
    (a rename into `claims`, seen by inotify)."""
    ino = Inotify()
    ino.add(claims, IN_MOVED_TO)
    lat = []
    try:
        for nm in names:
            with open(os.path.join(stage, nm), "wb") as f:
                f.write(ctx.tiny)
            t0 = time.monotonic_ns()
            os.rename(os.path.join(stage, nm), os.path.join(inbox, nm))
            claimed, deadline = None, time.monotonic() + 30
            while claimed is None:
                if time.monotonic() > deadline:
                    raise Broken(f"web: {nm} not claimed within 30 s")
                for _wd, mask, _name, seen in ino.read(1.0):
                    if mask & IN_MOVED_TO:
                        claimed = seen
            lat.append((claimed - t0) / 1e6)
            time.sleep(0.02)
    finally:
        ino.close()
    return lat


def pss_kib(pid):
    """Proportional set size: pages shared with another process (the helper is this same
    executable, mapped twice) count half to each, so a sum over processes counts them once."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def family_kib(pid):
    """(the daemon's VmRSS, the PSS of the daemon and its children summed: its preview helper)."""
    rss = status_kib(pid, "VmRSS")
    children = []
    for tid in os.listdir(f"/proc/{pid}/task"):      # a child is listed under the thread that started it
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                children += f.read().split()
        except OSError:
            pass
    total = pss_kib(pid)
    for child in children:
        try:
            total += pss_kib(int(child))
        except (OSError, ValueError):
            pass
    return rss, total


class RssSampler:
    """The daemon's VmRSS and its family's PSS (with the preview helper), every 0.2 s while on."""

    def __init__(self, pid):
        self.pid, self.samples, self.done = pid, [family_kib(pid)], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.wait(0.2):
            self.samples.append(family_kib(self.pid))

    def stop(self):
        self.done.set()
        self.thread.join()
        return max(r for r, _ in self.samples) / 1024, max(p for _, p in self.samples) / 1024


CONDITIONS = ("none", 10, 0)        # no client; the crowd at nice 10; the crowd at nice 0


def interleaved_rounds(ctx, root, reference, crowds, blocks, per_round):
    """`blocks` blocks; in each, every condition (order rotated) gets `per_round` drops into the
    daemon's inbox and as many into the reference claimer's. Returns the latencies of each
    (condition, target), the crowds' counts and the daemon's names dropped."""
    lat = {(c, t): [] for c in CONDITIONS for t in ("daemon", "reference")}
    daemon_names = []
    stage = os.path.join(root, "stage")
    for block in range(blocks):
        order = CONDITIONS[block % 3:] + CONDITIONS[:block % 3]
        for condition in order:
            crowd = crowds.get(condition)
            if crowd:
                # Every crowd round starts with no thumbnail made: each preview asked for is a
                # libvips decode the first time, as on a page nobody opened yet.
                thumbs = os.path.join(root, "inbox", ".upscaled", "thumbs")
                for entry in os.listdir(thumbs) if os.path.isdir(thumbs) else []:
                    os.unlink(os.path.join(thumbs, entry))
                time.sleep(0.3)
                crowd.go()
            tag = "q" if condition == "none" else f"n{condition}"
            names = [f"{tag}-{block}-{i:04d}.png" for i in range(per_round)]
            lat[(condition, "daemon")] += drops(ctx, stage, os.path.join(root, "inbox"), host_state(root, "claims"), names)
            daemon_names += names
            lat[(condition, "reference")] += drops(ctx, os.path.join(reference.root, "stage"), reference.inbox,
                                                   reference.claims, names)
            if crowd:
                crowd.hold()            # returns once its last answer is in
            # What a round wrote (previews, results) goes to disk now, not during the next round:
            # a quiet round right after a crowd must not pay for the crowd's writeback.
            os.sync()
            time.sleep(0.5)
        log(f"web: block {block + 1}/{blocks}: " + "; ".join(
            f"{c if c == 'none' else f'nice {c}'}: p99 {pct(lat[(c, 'daemon')], 99):.2f} ms "
            f"(reference {pct(lat[(c, 'reference')], 99):.2f})" for c in CONDITIONS))
    counts = {c: crowds[c].stop() for c in (10, 0)}
    return lat, counts, daemon_names


def bench_web(ctx):
    if not os.path.exists(PHOTO):
        raise Broken(f"web: no {PHOTO}: run packaging/install-test-images")
    n_failed, n_drops, n_clients, blocks = ctx.p["web_failed"], ctx.p["web_drops"], ctx.p["web_clients"], ctx.p["web_blocks"]
    root = ctx.fresh("web")
    os.makedirs(os.path.join(root, "stage"))
    fill_failed(root, n_failed)
    d = Daemon(ctx, root, ["--engine", "local", "--web-listen", "127.0.0.1:0"]).start()
    address = page_address(root)
    if not address:
        raise Broken(f"web: the page does not listen: {d.tail()}")
    port = int(address.rsplit(":", 1)[1])
    with open(os.path.join(ctx.tmp, "xdg", "upscaled", "web-token")) as f:
        token = f.read().strip()
    load0 = loadavg()
    one = Client(port, token)
    ids = []
    while len(ids) < n_failed:          # every file's id, 500 a page: the crowd asks for any of them
        listing = json.loads(one.get(f"/api/failed?limit=500&offset={len(ids)}")[1])
        if listing["total"] != n_failed or not listing["items"]:
            raise Broken(f"web: the page lists {listing['total']} failed files, not {n_failed}")
        ids += [item["id"] for item in listing["items"]]
    listings = {
        "`GET /api/failed?limit=50` (the first page)": timed(one, "/api/failed?limit=50", 20),
        f"`GET /api/failed?limit=50&offset={n_failed - 50}` (the last page)": timed(one, f"/api/failed?limit=50&offset={n_failed - 50}", 20),
        "`GET /api/failed?q=p0012` (a search)": timed(one, "/api/failed?q=p0012", 20),
        "`GET /failed` (the HTML page, 50 rows)": timed(one, "/failed", 20),
        "`GET /api/failed/ID` (one file, found by its id)": timed(one, f"/api/failed/{ids[0]}", 20),
        f"`GET /api/failed?limit=50` after a change to failed/ (all {n_failed:,} files walked again)": walked(one, root, 10),
    }
    for k, v in listings.items():
        log(f"web: {k}: p50 {v['p50']:.1f} ms, p99 {v['p99']:.1f} ms")
    rss_before = status_kib(d.pid, "VmRSS") / 1024
    reference = ReferenceClaimer(ctx.fresh("web-reference"))
    crowds = {nice: Crowd(port, token, ids, n_clients, nice) for nice in (10, 0)}
    sampler = RssSampler(d.pid)
    try:
        lat, counts, names = interleaved_rounds(ctx, root, reference, crowds, blocks, max(1, n_drops // blocks))
    finally:
        rss_mb, pss_mb = sampler.stop()
        reference.stop()
        for crowd in crowds.values():
            if crowd.proc.is_alive():
                crowd.proc.kill()
    deadline = time.monotonic() + 120
    while any(not n.startswith(".") for n in os.listdir(os.path.join(root, "inbox"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    d.stop()
    account(root, names, allow_inbox=False)
    ctx.commands["web"] = d.shown
    rows = {}
    for c in CONDITIONS:
        daemon_lat, reference_lat = lat[(c, "daemon")], lat[(c, "reference")]
        row = dict(p50=pct(daemon_lat, 50), p99=pct(daemon_lat, 99), ref_p50=pct(reference_lat, 50),
                   ref_p99=pct(reference_lat, 99), n=len(daemon_lat))
        if c != "none":
            k = counts[c]
            row.update(requests=k["requests"], thumbs=k["thumbs"], errors=k["errors"],
                       rate=k["requests"] / max(k["seconds"], 1e-9))
        rows[c] = row
        log(f"web: drop→claim, {c if c == 'none' else f'{n_clients} clients at nice {c}'}: daemon p50 {row['p50']:.2f} ms, "
            f"p99 {row['p99']:.2f} ms; reference p50 {row['ref_p50']:.2f} ms, p99 {row['ref_p99']:.2f} ms")
    quiet = rows["none"]
    ctx.results["web"] = dict(
        failed=n_failed, drops=n_drops, blocks=blocks, clients=n_clients, listings=listings, load=(load0, loadavg()),
        rows=rows, ratio=rows[10]["p99"] / quiet["p99"], ratio_same=rows[0]["p99"] / quiet["p99"],
        ref_ratio=rows[10]["ref_p99"] / quiet["ref_p99"], ref_ratio_same=rows[0]["ref_p99"] / quiet["ref_p99"],
        rss_mb=rss_mb, rss_idle_mb=rss_before, pss_mb=pss_mb)
