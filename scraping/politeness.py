"""Where the scraper may go and how often: the host allow-list and a per-host lease that keeps
one request at a time per host, spaced by RECSYS_SCRAPE_MIN_INTERVAL, across processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from scraping.errors import ScrapeError
from scraping.models import HostThrottle

POLL_SECONDS = 0.05


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def allowed_hosts() -> list[str]:
    return [h.strip().lower() for h in settings.RECSYS_SCRAPE_ALLOWED_HOSTS if h.strip()]


def host_is_allowed(host: str) -> bool:
    host = host.lower()
    return any(host == allowed or host.endswith("." + allowed) for allowed in allowed_hosts())


def ensure_allowed(url: str, *, redirected_from: str | None = None) -> None:
    """Raise a clear ScrapeError for a URL whose host is not in the allow-list."""
    scheme, host = urlsplit(url).scheme, url_host(url)
    if scheme not in ("http", "https") or not host_is_allowed(host):
        via = f" (redirected from {redirected_from})" if redirected_from else ""
        raise ScrapeError(
            ScrapeError.DISALLOWED,
            f"{url}{via}: host {host or '?'!r} is not in RECSYS_SCRAPE_ALLOWED_HOSTS "
            f"({', '.join(allowed_hosts()) or 'empty'}); nothing was fetched from it",
        )


def _try_lease(host: str, holder: str, lease_seconds: float) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = HostThrottle.objects.filter(free, host=host).update(
        holder=holder, lease_until=now + timedelta(seconds=lease_seconds)
    )
    if taken:
        return True
    try:
        HostThrottle.objects.create(
            host=host, holder=holder, lease_until=now + timedelta(seconds=lease_seconds)
        )
    except IntegrityError:
        return False
    return True


@contextmanager
def host_slot(url: str, *, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the host's lease for one request, after its minimum interval has passed.

    The lease expires by itself (timeout plus a margin) so a killed worker never blocks a host.
    """
    host = url_host(url)
    timeout = settings.RECSYS_SCRAPE_TIMEOUT
    lease_seconds = 2 * timeout + 10
    deadline = time.monotonic() + (wait_seconds if wait_seconds is not None else lease_seconds)
    holder = uuid.uuid4().hex
    while not _try_lease(host, holder, lease_seconds):
        if time.monotonic() > deadline:
            raise ScrapeError(
                ScrapeError.TIMEOUT, f"{host} stayed busy with another scrape; try again later"
            )
        time.sleep(POLL_SECONDS)
    try:
        throttle = HostThrottle.objects.get(host=host)
        if throttle.next_request_at:
            pause = (throttle.next_request_at - timezone.now()).total_seconds()
            if pause > 0:
                time.sleep(pause)
        yield
    finally:
        interval = timedelta(seconds=settings.RECSYS_SCRAPE_MIN_INTERVAL)
        HostThrottle.objects.filter(host=host, holder=holder).update(
            holder="", lease_until=None, next_request_at=timezone.now() + interval
        )
