"""inotify through ctypes (no third-party module)."""

import ctypes
import os
import select
import struct
import time

from .common import Broken

IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x8, 0x40, 0x80, 0x100, 0x200
IN_Q_OVERFLOW = 0x4000
_libc = ctypes.CDLL(None, use_errno=True)
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]


class Inotify:
    def __init__(self):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.poller = select.poll()
        self.poller.register(self.fd, select.POLLIN)

    def add(self, path, mask):
        wd = _libc.inotify_add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
        return wd

    def read(self, timeout_s):
        """Events within timeout_s (empty on timeout): (wd, mask, name, monotonic_ns when seen)."""
        if not self.poller.poll(-1 if timeout_s is None else max(0, int(timeout_s * 1000))):
            return []
        seen = time.monotonic_ns()
        events = []
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            i = 0
            while i < len(data):
                wd, mask, _cookie, length = struct.unpack_from("iIII", data, i)
                name = data[i + 16:i + 16 + length].rstrip(b"\0").decode("utf-8", "surrogateescape")
                if mask & IN_Q_OVERFLOW:
                    raise Broken("the benchmark's own inotify queue overflowed")
                events.append((wd, mask, name, seen))
                i += 16 + length
        return events

    def close(self):
        os.close(self.fd)
