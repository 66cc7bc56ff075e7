"""The per-host lease: one request at a time per host, spaced, across threads and processes."""

import itertools
import threading
import time

import pytest
from django.db import connection

from scraping.models import HostThrottle
from scraping.politeness import host_slot


def _in_thread(target):
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_one_request_at_a_time_per_host_spaced_by_the_minimum_interval(settings, imdb_server):
    settings.RECSYS_SCRAPE_MIN_INTERVAL = 0.3
    url = f"{imdb_server.base_url}/title/tt9100001/"
    spans: list[tuple[float, float]] = []

    def request() -> None:
        with host_slot(url):
            start = time.monotonic()
            time.sleep(0.1)
            spans.append((start, time.monotonic()))

    threads = [_in_thread(request) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spans) == 3
    spans.sort()
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= end + 0.3 - 0.02  # never overlapping, and spaced


@pytest.mark.django_db(transaction=True)
def test_a_lease_left_by_a_killed_worker_expires(settings, imdb_server):
    from datetime import timedelta

    from django.utils import timezone

    url = f"{imdb_server.base_url}/title/tt9100001/"
    HostThrottle.objects.create(
        host="127.0.0.1", holder="dead", lease_until=timezone.now() + timedelta(seconds=0.3)
    )
    started = time.monotonic()
    with host_slot(url):
        waited = time.monotonic() - started
    assert 0.2 < waited < 3
    assert HostThrottle.objects.get(host="127.0.0.1").holder == ""
