"""Search latency, recorded cheaply for the admin dashboard: each process keeps the response
times of its searches in memory and writes them as one SearchLatencyBatch row every
RECSYS_SEARCH_LATENCY_FLUSH_EVERY searches (or after RECSYS_SEARCH_LATENCY_FLUSH_SECONDS), so
the search path pays a list append, and one INSERT per batch."""

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
_last_flush = time.monotonic()


def search_latency_note(took_ms: float) -> None:
    global _last_flush
    with _lock:
        _buffer.append(round(float(took_ms), 1))
        due = len(_buffer) >= settings.RECSYS_SEARCH_LATENCY_FLUSH_EVERY or (
            time.monotonic() - _last_flush >= settings.RECSYS_SEARCH_LATENCY_FLUSH_SECONDS
        )
        if not due:
            return
        samples = _buffer.copy()
        _buffer.clear()
        _last_flush = time.monotonic()
    _write(samples)


def search_latency_flush() -> int:
    """Write whatever this process holds now (tests, shutdown); how many samples."""
    with _lock:
        samples = _buffer.copy()
        _buffer.clear()
    if samples:
        _write(samples)
    return len(samples)


def _write(samples: list[float]) -> None:
    try:
        SearchLatencyBatch.objects.create(samples_ms=samples)
        SearchLatencyBatch.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    except DatabaseError as error:  # a dashboard figure never fails a search
        logger.warning("search latency not recorded: %s", error)


def search_latency_percentiles(*, since: timedelta = timedelta(hours=1), buckets: int = 12):
    """p50/p95/p99 over the window, and per bucket (12 x 5 min for the last hour)."""
    now = timezone.now()
    start = now - since
    rows = SearchLatencyBatch.objects.filter(created_at__gte=start).values_list(
        "created_at", "samples_ms"
    )
    width = since / buckets
    per_bucket: list[list[float]] = [[] for _ in range(buckets)]
    every: list[float] = []
    for created_at, samples in rows:
        index = min(buckets - 1, int((created_at - start) / width))
        per_bucket[index].extend(samples)
        every.extend(samples)

    def figures(values: list[float]) -> dict:
        if not values:
            return {"count": 0, "p50": None, "p95": None, "p99": None}
        p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99]).round(1).tolist()
        return {"count": len(values), "p50": p50, "p95": p95, "p99": p99}

    return {
        "overall": figures(every),
        "buckets": [
            {"end": (start + width * (i + 1)).strftime("%H:%M"), **figures(values)}
            for i, values in enumerate(per_bucket)
        ],
    }
