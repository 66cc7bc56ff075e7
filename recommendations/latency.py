"""Search latency, recorded cheaply for the admin dashboard: each process keeps the response
times of its searches in memory and writes them as one SearchLatencyBatch row every
RECSYS_SEARCH_LATENCY_FLUSH_EVERY searches (or after RECSYS_SEARCH_LATENCY_FLUSH_SECONDS), so
the search path pays a list append, and one INSERT per batch.

A search answered from the result cache (recommendations/search/result_cache.py) takes a
fraction of a millisecond of search time: it is counted, not sampled, so that the percentiles
are those of searches that ran, and the dashboard shows how many were answered from the cache
beside them."""

import logging
import threading
import time
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from recommendations.models import SearchLatencyBatch

logger = logging.getLogger(__name__)
KEEP = timedelta(days=1)

_lock = threading.Lock()
_buffer: list[float] = []
_cache_hits = 0
_last_flush = time.monotonic()


def search_latency_note(took_ms: float, *, from_cache: bool = False) -> None:
    """Records a search's time; one answered from the result cache is only counted."""
    global _last_flush, _cache_hits
    with _lock:
        if from_cache:
            _cache_hits += 1
        else:
            _buffer.append(round(float(took_ms), 1))
        due = len(_buffer) + _cache_hits >= settings.RECSYS_SEARCH_LATENCY_FLUSH_EVERY or (
            time.monotonic() - _last_flush >= settings.RECSYS_SEARCH_LATENCY_FLUSH_SECONDS
        )
        if not due:
            return
        samples, hits = _taken()
        _last_flush = time.monotonic()
    _write(samples, hits)


def search_latency_flush() -> int:
    """Write whatever this process holds now (tests, shutdown); how many searches."""
    with _lock:
        samples, hits = _taken()
    if samples or hits:
        _write(samples, hits)
    return len(samples) + hits


def _taken() -> tuple[list[float], int]:
    """The buffer's samples and cache hits, the buffer emptied (under _lock)."""
    global _cache_hits
    samples, hits = _buffer.copy(), _cache_hits
    _buffer.clear()
    _cache_hits = 0
    return samples, hits


def _write(samples: list[float], cache_hits: int) -> None:
    try:
        SearchLatencyBatch.objects.create(samples_ms=samples, cache_hits=cache_hits)
        SearchLatencyBatch.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    except DatabaseError as error:  # a dashboard figure never fails a search
        logger.warning("search latency not recorded: %s", error)


def search_latency_percentiles(*, since: timedelta = timedelta(hours=1), buckets: int = 12):
    """p50/p95/p99 over the window, and per bucket (12 x 5 min for the last hour), of the
    searches that ran; `cache_hits`: how many more the result cache answered."""
    now = timezone.now()
    start = now - since
    rows = SearchLatencyBatch.objects.filter(created_at__gte=start).values_list(
        "created_at", "samples_ms", "cache_hits"
    )
    width = since / buckets
    per_bucket: list[list[float]] = [[] for _ in range(buckets)]
    every: list[float] = []
    cache_hits = 0
    for created_at, samples, hits in rows:
        index = min(buckets - 1, int((created_at - start) / width))
        per_bucket[index].extend(samples)
        every.extend(samples)
        cache_hits += hits

    def figures(values: list[float]) -> dict:
        if not values:
            return {"count": 0, "p50": None, "p95": None, "p99": None}
        p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99]).round(1).tolist()
        return {"count": len(values), "p50": p50, "p95": p95, "p99": p99}

    return {
        "overall": figures(every),
        "cache_hits": cache_hits,
        "buckets": [
            {"end": (start + width * (i + 1)).strftime("%H:%M"), **figures(values)}
            for i, values in enumerate(per_bucket)
        ],
    }
