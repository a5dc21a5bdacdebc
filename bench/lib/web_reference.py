"""The web section's control: the least a claimer with the daemon's durability must do.

One process, one thread: inotify on its own inbox; for each file renamed in, a journal record
written, fsynced and renamed into place with its folder fsynced, then the file renamed into a
claims folder (the moment timed, as for the daemon) and that folder fsynced. These are the
system calls of the daemon's claim (JobRunner.claim) without its threads, its settling, its
actor or anything else. Timed in the same rounds, under the same crowd, it shows how much of
the crowd's effect on the daemon's claims is the machine's (cores the crowd keeps busy, the
virtual CPUs' wake-up latency, the disk's fsyncs) rather than the daemon's.
"""

import multiprocessing
import os

from .inotify import IN_MOVED_TO, Inotify

RECORD = b'{"state":"claimed","relativePath":"' + b"x" * 200 + b'"}\n'     # about a daemon record's size


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _claim(root, name, n):
    journal, claims = os.path.join(root, "journal"), os.path.join(root, "claims")
    temp, record = os.path.join(journal, f".tmp-{n}"), os.path.join(journal, f"{n}.json")
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(fd, RECORD)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temp, record)
    _fsync_dir(journal)
    claimed = os.path.join(claims, f"{n}.png")
    os.rename(os.path.join(root, "inbox", name), claimed)       # the moment the bench times
    _fsync_dir(claims)
    os.unlink(claimed)                                           # done: the folders stay small
    os.unlink(record)


def _claimer_main(root, ready):
    ino = Inotify()
    ino.add(os.path.join(root, "inbox"), IN_MOVED_TO)
    ready.send("ready")
    n = 0
    while True:
        for _wd, mask, name, _seen in ino.read(None):
            if mask & IN_MOVED_TO:
                n += 1
                _claim(root, name, n)


class ReferenceClaimer:
    """The control claimer on `root` (inbox/, journal/, claims/ made here), until `stop`."""

    def __init__(self, root):
        self.root = root
        for folder in ("inbox", "journal", "claims", "stage"):
            os.makedirs(os.path.join(root, folder), exist_ok=True)
        mine, theirs = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("fork").Process(target=_claimer_main, args=(root, theirs), daemon=True)
        self.proc.start()
        if not mine.poll(30):
            raise TimeoutError("the reference claimer did not start")
        mine.recv()

    @property
    def inbox(self):
        return os.path.join(self.root, "inbox")

    @property
    def claims(self):
        return os.path.join(self.root, "claims")

    def stop(self):
        self.proc.kill()
        self.proc.join(10)
