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

Counters (the request limits' per-minute spend, recsys_site.clients.spend) are files of their
own, `add_to`: read and rewritten in place under an exclusive lock, where Django's add() then
incr() read the entry twice and wrote it anew, a new file renamed over the old one (about
0.17 ms of CPU a request, most of it the file system making and dropping a file;
docs/benchmarks.md, "round 5"). Nothing else reads a counter's file.

Values are written as Django's reader expects them (a zlib stream) but stored, not deflated:
what a search writes is a few kilobytes that barely compress (the "why" evidence is mostly
its query vector's float32 bytes: 2.9 kB deflated to 2.1 kB), and deflating them cost a
first results page 0.07 ms of CPU, more than the write itself (docs/benchmarks.md, "round 5").
"""

import contextlib
import glob
import itertools
import os
import pickle
import threading
import time
import zlib

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
_COUNTER_FILE = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
COUNTER_SUFFIX = ".count"  # not the entries' .djcache: Django's get, cull and listing skip it

CULL_EVERY = 50
STORED = 0  # zlib's level 0: a valid stream, not deflated


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict) -> None:
        super().__init__(dir, params)
        self._writes = itertools.count(1)
        self._new_counters = itertools.count(1)

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

    def add_to(self, key: str, delta: int, timeout: float, version=None) -> int:
        """Add `delta` to the counter `key` and return its total; a counter starts at 0 and
        expires `timeout` seconds after it starts (as Redis' SET NX EX, then INCRBY). Every
        process's writers take the file's lock, so no addition is lost."""
        entry = self._key_to_file(key, version)
        path = entry.removesuffix(self.cache_suffix) + COUNTER_SUFFIX
        while (added := self._add_to_file(path, delta, timeout)) is None:
            pass  # the file was dropped while this writer waited for its lock: a new one
        total, started = added
        if started and next(self._new_counters) % CULL_EVERY == 0:
            self._drop_expired_counters()
        return total

    def _add_to_file(self, path: str, delta: int, timeout: float) -> tuple[int, bool] | None:
        """(the total, whether the counter started anew), or None where the file was removed
        (`_drop_expired_counters`) before this writer held its lock."""
        try:
            descriptor = os.open(path, _COUNTER_FILE, 0o600)
        except FileNotFoundError:  # the folder was deleted: made again, as Django does
            self._createdir()
            descriptor = os.open(path, _COUNTER_FILE, 0o600)
        with open(descriptor, "r+b", buffering=0) as file, _locked(file):
            if os.fstat(file.fileno()).st_nlink == 0:
                return None
            expires, total = _counter(file.read())
            started = expires <= time.time()
            if started:
                expires, total = time.time() + timeout, 0
            total += delta
            file.seek(0)
            file.write(f"{expires!r} {total:d}".encode())
            file.truncate()
        return total, started

    def _counter_files(self) -> list[str]:
        return glob.glob(os.path.join(glob.escape(self._dir), f"*{COUNTER_SUFFIX}"))

    def _drop_expired_counters(self) -> None:
        """Counters past their time (a request limit's make one a client a minute)."""
        now = time.time()
        for path in self._counter_files():
            with contextlib.suppress(OSError), open(path, "rb") as file, _locked(file):
                # Removed under the lock: a writer waiting on it then sees the file gone
                if _counter(file.read())[0] <= now:
                    os.remove(path)

    def clear(self) -> None:
        super().clear()
        for path in self._counter_files():
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


@contextlib.contextmanager
def _locked(file):
    locks.lock(file, locks.LOCK_EX)
    try:
        yield
    finally:
        locks.unlock(file)


def _counter(content: bytes) -> tuple[float, int]:
    """(expiry time, total) of a counter's file; an empty or unreadable one is expired."""
    try:
        expires, total = content.split()
        return float(expires), int(total)
    except ValueError:
        return 0.0, 0
