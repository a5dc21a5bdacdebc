"""The daemon under test: /proc readers, the daemon as a subprocess, and the accounting of every input."""

import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import threading
import time

from .common import Broken, dir_files


# --------------------------------------------------------------------------------------------
# /proc readers


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def status_kib(pid, key):
    return int(proc_status(pid)[key].split()[0])


def proc_snapshot(pid):
    """CPU ticks (all threads) and context switches summed over every thread."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])     # utime, stime (fields 14, 15)
    vol = invol = 0
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            st = proc_status(f"{pid}/task/{tid}")
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except FileNotFoundError:
            continue
        v, n = int(st["voluntary_ctxt_switches"]), int(st["nonvoluntary_ctxt_switches"])
        vol, invol = vol + v, invol + n
        threads[tid] = (comm, v + n)
    return dict(ticks=ticks, vol=vol, invol=invol, threads=threads)


# --------------------------------------------------------------------------------------------
# The daemon as a subprocess, with a real NOTIFY_SOCKET for readiness (as under systemd)


RUNNING = []      # daemons started and not yet stopped: killed if the run ends early


# Every daemon the benchmark starts runs as this host (`--host-id`): its claims, journal and
# status live under inbox/.upscaled/hosts/bench/. The cluster section, which runs several daemons
# on one root, gives each its own (a second daemon as the same host on one root is refused).
HOST_ID = "bench"


def host_state(root, *parts, host=HOST_ID):
    return os.path.join(root, "inbox", ".upscaled", "hosts", host, *parts)


class Daemon:
    def __init__(self, ctx, root, extra=(), workers=None, config=None, host_id=HOST_ID):
        self.ctx, self.root, self.host_id = ctx, root, host_id
        self.workers = workers or ctx.workers
        # The page only where a section asks for it (`--web-listen` in extra): many daemons run.
        web = [] if "--web-listen" in extra else ["--web-listen", "off"]
        self.cmd = [ctx.binary, "run", "--root", root, "--config", config or ctx.config, "--workers", str(self.workers),
                    "--host-id", host_id, *web, *extra]
        self.proc = None
        # Beside the root, one log and one notify socket per daemon (several may share the root).
        self.base = root if host_id == HOST_ID else f"{root}.{host_id}"
        self.log_path = self.base + ".log"

    @property
    def shown(self):
        return "upscaled " + " ".join(shlex.quote(a) for a in self.cmd[1:]).replace(self.root, "$ROOT").replace(
            self.ctx.config, "$LOCAL_CONFIG").replace(self.ctx.default_config, "$EMPTY_CONFIG")

    def start(self, timeout=60):
        os.makedirs(self.root, exist_ok=True)
        path = self.base + ".sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        env = dict(os.environ, NOTIFY_SOCKET=path, XDG_CONFIG_HOME=os.path.join(self.ctx.tmp, "xdg"))
        for k in ("JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS"):
            env.pop(k, None)
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf, env=env)
        RUNNING.append(self)
        deadline = time.monotonic() + timeout
        ready = False
        while not ready:
            if self.proc.poll() is not None:
                raise Broken(f"the daemon exited with {self.proc.returncode} before READY=1: {self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise Broken(f"the daemon sent no READY=1 within {timeout} s: {self.tail()}")
            if select.select([self.sock], [], [], 0.2)[0]:
                ready = b"READY=1" in self.sock.recv(65536).split(b"\n")
        # Like systemd, keep reading STATUS= datagrams so the daemon never blocks on a full socket.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        try:
            while True:
                if not self.sock.recv(65536):
                    return
        except OSError:
            return

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=5):
        try:
            with open(self.log_path, "rb") as f:
                return " | ".join(f.read().decode("utf-8", "replace").strip().splitlines()[-n:])
        except OSError:
            return ""

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def durations(self):
        return [float(x) for x in re.findall(r"duration_s=([0-9.]+)", self.log_text())]

    def status_json(self):
        try:
            with open(host_state(self.root, "status.json", host=self.host_id)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def stop(self, timeout=120):
        if self in RUNNING:
            RUNNING.remove(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise Broken(f"the daemon did not stop within {timeout} s of SIGTERM")
        self.sock.close()
        self.logf.close()
        if self.proc.returncode != 0:
            raise Broken(f"the daemon exited with {self.proc.returncode}: {self.tail()}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def account(root, names, allow_inbox=True, hosts=(HOST_ID,)):
    """Every input name must be in exactly one place: archive (with its result in outbox),
    failed (with its sidecar), or still in the inbox, and no claim left in any of `hosts`' folders.
    Returns counts; raises Broken otherwise."""
    where = {}
    for place in ("archive", "failed", "inbox", "quarantine"):
        for e in dir_files(os.path.join(root, place)):
            if place == "failed" and e.name.endswith(".json"):
                continue
            where.setdefault(e.name, []).append(place)
    outs = {os.path.splitext(e.name)[0] for e in dir_files(os.path.join(root, "outbox"))}
    counts = {"archive": 0, "failed": 0, "inbox": 0, "quarantine": 0}
    problems = []
    for n in names:
        places = where.get(n, [])
        if len(places) != 1:
            problems.append(f"{n}: in {places or 'nowhere'}")
            continue
        counts[places[0]] += 1
        if places[0] == "archive" and os.path.splitext(n)[0] not in outs:
            problems.append(f"{n}: archived without a result in outbox/")
        if places[0] == "failed" and not os.path.exists(os.path.join(root, "failed", n + ".json")):
            problems.append(f"{n}: in failed/ without its sidecar")
    outputs = len(dir_files(os.path.join(root, "outbox")))
    if outputs != counts["archive"]:
        problems.append(f"{outputs} results in outbox/ for {counts['archive']} archived originals")
    for host in hosts:
        claims = dir_files(host_state(root, "claims", host=host))
        if claims:
            problems.append(f"{len(claims)} file(s) left in inbox/.upscaled/hosts/{host}/claims")
    if not allow_inbox and counts["inbox"]:
        problems.append(f"{counts['inbox']} file(s) never processed")
    if problems:
        raise Broken(f"accounting failed in {root}: " + "; ".join(problems[:8])
                     + (f" (+{len(problems) - 8} more)" if len(problems) > 8 else ""))
    counts["outbox"] = outputs
    return counts


def page_address(root, host=HOST_ID, timeout=30):
    """Where the daemon's page listens (`web` in its status file), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(host_state(root, "status.json", host=host)) as f:
                address = json.load(f).get("web")
            if address:
                return address
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return None
