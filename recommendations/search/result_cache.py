"""Search results a web process keeps for repeated queries (paging back, the live search
asking again, a popular query), so that a repeat skips the pipeline, the cards query and the
evidence.

Every entry belongs to one stamp: the catalogue snapshot's (films added, edited, deleted),
the dense index's (a film indexed again, the collection changed) and the active trained
models' (a reranker activated or rewritten). When the stamp a search sees differs from the
entries', they are all dropped before anything is served, so an edit, a reindex or an
activation never serves results ranked before it; the stamps are checked as cheaply as the
search itself checks them (at most every few seconds each, see catalogue.STAMP_TTL and
recommendations.trained_models), so a repeat sees a change as soon as a fresh search would.

What is kept is the ranked response (films, scores, evidence), never HTML: the buttons on a
card (liked, in my list) and the form's token are the viewer's, drawn on each request.
Per process, in memory (no pickling, no round trip): bounded by
settings.RECSYS_SEARCH_CACHE_SIZE entries, each kept at most RECSYS_SEARCH_CACHE_SECONDS.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from django.conf import settings

from recommendations.search.catalogue import CatalogueSnapshot
from recommendations.search.dense import DenseUnavailable, get_dense_index
from recommendations.trained_models import active_models_stamp


def search_stamp(snapshot: CatalogueSnapshot) -> tuple:
    """What the results of a search depend on besides its own words: catalogue, index,
    models."""
    try:
        dense = get_dense_index(snapshot).stamp
    except DenseUnavailable:
        dense = None  # lexical-only results, kept apart from the full ones
    return (snapshot.stamp, dense, active_models_stamp())


def search_key(query: str, *parts: Hashable) -> tuple:
    """The query with its runs of white space made one (the pipeline reads it so), and the
    filters and page."""
    return (" ".join(query.split()), *parts)


class ResultCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._stamp: tuple | None = None
        self.hits = self.misses = 0

    def get(self, stamp: tuple, key: tuple) -> Any | None:
        if settings.RECSYS_SEARCH_CACHE_SIZE <= 0:
            return None
        with self._lock:
            if stamp != self._stamp:
                self._entries.clear()
                self._stamp = stamp
            entry = self._entries.get(key)
            if entry is None or time.monotonic() - entry[0] > settings.RECSYS_SEARCH_CACHE_SECONDS:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, stamp: tuple, key: tuple, value: Any) -> None:
        size = settings.RECSYS_SEARCH_CACHE_SIZE
        if size <= 0:
            return
        with self._lock:
            if stamp != self._stamp:  # the catalogue moved on while this search ran
                return
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp = None
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


results = ResultCache()
clear_search_results = results.clear
