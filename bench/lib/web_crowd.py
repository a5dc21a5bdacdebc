"""The web section's crowd: clients of the page in a process of their own, held between rounds.

Each crowd is one process at a given nice value with `n` threads, each with one keep-alive
connection, asking for `/api/jobs?limit=50` and thumbnails of random failed files without pause
while it is let go. Between rounds its threads wait on an event (no wake-ups, no requests), so
the rounds with no client, with this crowd and with another can be interleaved in one run and
the machine's drift falls on all of them alike.
"""

import http.client
import multiprocessing
import os
import random
import threading
import time


class Client:
    """One keep-alive connection to the page, with the bearer token."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        for attempt in (0, 1):          # a keep-alive connection the server closed: once more
            try:
                self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}",
                                                        "Host": f"127.0.0.1:{self.port}"})
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        return None


def _crowd_main(port, token, ids, n_clients, nice, control):
    """The crowd process: obeys "go", "hold" and "stop" from `control`; answers each with its counts
    (a hold once every request under way has its answer)."""
    os.nice(nice)
    go, done = threading.Event(), threading.Event()
    lock = threading.Condition()
    counts = dict(requests=0, thumbs=0, errors=0, seconds=0.0)
    busy = [0]                          # requests under way: a hold returns once none is

    def hammer(seed):
        rnd = random.Random(seed)
        client = Client(port, token)
        while True:
            go.wait()
            if done.is_set():
                return
            with lock:
                if not go.is_set():     # held between the wait and here
                    continue
                busy[0] += 1
            path = "/api/jobs?limit=50" if rnd.random() < 0.5 else f"/api/failed/{rnd.choice(ids)}/thumb"
            try:
                status, _ = client.get(path)
            except (http.client.HTTPException, OSError):
                status = None
            with lock:
                busy[0] -= 1
                counts["requests"] += 1
                counts["thumbs"] += "thumb" in path
                counts["errors"] += status != 200
                lock.notify_all()

    threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(n_clients)]
    for t in threads:
        t.start()
    started = None
    while True:
        command = control.recv()
        if command == "go" and started is None:
            started = time.monotonic()
            go.set()
        elif command in ("hold", "stop"):
            with lock:
                go.clear()
                lock.wait_for(lambda: busy[0] == 0, timeout=120)     # the last answers in: the next round is quiet
            if started is not None:
                counts["seconds"] += time.monotonic() - started
                started = None
            if command == "stop":
                done.set()
                go.set()
                for t in threads:
                    t.join(60)
        with lock:
            control.send(dict(counts))
        if command == "stop":
            return


class Crowd:
    """A crowd process, held until `go`; `hold` and `stop` return the counts so far."""

    def __init__(self, port, token, ids, n_clients, nice):
        self.nice = nice
        self.control, theirs = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("fork").Process(
            target=_crowd_main, args=(port, token, ids, n_clients, nice, theirs), daemon=True)
        self.proc.start()

    def _say(self, command):
        self.control.send(command)
        if not self.control.poll(120):
            raise TimeoutError(f"the crowd at nice {self.nice} did not answer {command!r}")
        return self.control.recv()

    def go(self):
        self._say("go")
        time.sleep(0.5)                 # every client connected and busy before a drop is timed

    def hold(self):
        return self._say("hold")

    def stop(self):
        try:
            return self._say("stop")
        finally:
            self.proc.join(60)
            if self.proc.is_alive():
                self.proc.kill()
