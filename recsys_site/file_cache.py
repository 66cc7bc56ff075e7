"""The cache of a laptop install (no Redis): Django's file cache, culled less often.

Django's FileBasedCache lists its whole folder on every write to decide whether to cull. A
search writes the cache two or three times (the request limit's counter, the evidence for its
"why this?" panels), and with a few hundred entries each listing cost about a millisecond.
Here a process lists the folder on one write in `CULL_EVERY`, so the cache may overshoot
MAX_ENTRIES by that many writes per process before it is culled back.
"""

import itertools

from django.core.cache.backends.filebased import FileBasedCache

CULL_EVERY = 50


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict) -> None:
        super().__init__(dir, params)
        self._writes = itertools.count(1)

    def _cull(self) -> None:
        if next(self._writes) % CULL_EVERY == 0:
            super()._cull()
