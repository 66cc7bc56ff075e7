"""The cache of a laptop install (no Redis): Django's file cache, culled less often and
written with fewer system calls.

Django's FileBasedCache lists its whole folder on every write to decide whether to cull. A
search writes the cache two or three times (the request limit's counter, the evidence for its
"why this?" panels), and with a few hundred entries each listing cost about a millisecond.
Here a process lists the folder on one write in `CULL_EVERY`, so the cache may overshoot
MAX_ENTRIES by that many writes per process before it is culled back.

A write is Django's (the value written to a temporary file, renamed over the entry: a reader
sees the old entry or the new one, never part of one), without the steps around it that cost
a search more than the write itself: a temporary name found by `mkstemp`'s retries, the
folder made again on every write, two `stat`s to learn whether the file is moved onto itself.

Values are written as Django's reader expects them (a zlib stream) but stored, not deflated:
what a search writes is a few kilobytes that barely compress (the "why" evidence is mostly
its query vector's float32 bytes: 2.9 kB deflated to 2.1 kB), and deflating them cost a
first results page 0.07 ms of CPU, more than the write itself (docs/benchmarks.md, "round 5").
"""

import contextlib
import itertools
import os
import pickle
import threading
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)

CULL_EVERY = 50
STORED = 0  # zlib's level 0: a valid stream, not deflated


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict) -> None:
        super().__init__(dir, params)
        self._writes = itertools.count(1)

    def _cull(self) -> None:
        if next(self._writes) % CULL_EVERY == 0:
            super()._cull()

    def _write_content(self, file, timeout, value) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), STORED))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        path = self._key_to_file(key, version)
        self._cull()
        # One writer per name: this process's thread (not a cache file: no .djcache suffix)
        temporary = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            descriptor = os.open(temporary, _NEW_FILE, 0o600)
        except FileNotFoundError:  # the folder was deleted: made again, as Django does
            self._createdir()
            descriptor = os.open(temporary, _NEW_FILE, 0o600)
        try:
            with open(descriptor, "wb") as file:
                self._write_content(file, timeout, value)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
            raise
