"""Getting an IMDb title page and reading it: a plain HTTP fetch where the page needs no
JavaScript, headless Chromium otherwise, with the allow-list, the per-host lease, timeouts and
retries with backoff around every request."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

import httpx
from django.conf import settings

from scraping.browser import browser_fetch
from scraping.errors import ScrapeError
from scraping.extract import Extraction, extract_title_page
from scraping.politeness import ensure_allowed, host_slot

Fetcher = Literal["auto", "http", "browser"]
FETCHERS: tuple[str, ...] = ("auto", "http", "browser")
IMDB_ID_PATTERN = re.compile(r"^tt\d{7,10}$")
MAX_REDIRECTS = 5


@dataclass
class ScrapedPage:
    imdb_id: str
    url: str
    final_url: str
    fetcher: str
    seconds: float
    extraction: Extraction


def title_url(imdb_id: str, *, base_url: str | None = None) -> str:
    if not IMDB_ID_PATTERN.match(imdb_id or ""):
        raise ScrapeError(ScrapeError.NO_IMDB_ID, f"{imdb_id!r} is not an IMDb title id (tt…)")
    base = (base_url or settings.RECSYS_SCRAPE_BASE_URL).rstrip("/")
    return f"{base}/title/{imdb_id}/"


def _raise_for_status(url: str, status: int | None, fetcher: str) -> None:
    if status is None or status < 400:
        return
    if status == 404:
        raise ScrapeError(ScrapeError.NOT_FOUND, f"{url}: HTTP 404, IMDb has no such title")
    kind = ScrapeError.HTTP if status >= 500 or status == 429 else ScrapeError.REFUSED
    raise ScrapeError(kind, f"{url}: HTTP {status} ({fetcher})")


_client: httpx.Client | None = None


def _http_client() -> httpx.Client:
    """One connection pool per process (building a client costs more than a local fetch)."""
    global _client
    if _client is None:
        _client = httpx.Client(follow_redirects=False)
    return _client


def http_get(url: str, *, timeout: float) -> tuple[str, str, int]:
    """(final URL, HTML, status), following redirects by hand so each hop is checked."""
    headers = {
        "User-Agent": settings.RECSYS_SCRAPE_USER_AGENT,
        "Accept": "text/html,application/xhtml+xml",
        "Accept-Language": "en-US,en;q=0.9",
    }
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        ensure_allowed(current, redirected_from=None if current == url else url)
        try:
            response = _http_client().get(current, headers=headers, timeout=timeout)
        except httpx.TimeoutException as error:
            raise ScrapeError(
                ScrapeError.TIMEOUT, f"{current}: no answer within {timeout:g} s (http)"
            ) from error
        except httpx.HTTPError as error:
            raise ScrapeError(ScrapeError.HTTP, f"{current}: {error}") from error
        if not response.is_redirect:
            return current, response.text, response.status_code
        current = urljoin(current, response.headers.get("location", ""))
    raise ScrapeError(ScrapeError.HTTP, f"{url}: more than {MAX_REDIRECTS} redirects")


def _read(page_html: str, url: str) -> Extraction:
    extraction = extract_title_page(page_html, max_cast=settings.RECSYS_SCRAPE_MAX_CAST)
    if "title" not in extraction.fields:
        raise ScrapeError(ScrapeError.NO_DATA, f"{url}: no IMDb title data on the page")
    return extraction


def fetch_http(url: str, *, timeout: float) -> tuple[str, Extraction]:
    final_url, page_html, status = http_get(url, timeout=timeout)
    # IMDb answers bots it distrusts with a 202 and a JavaScript challenge.
    if status == 202:
        raise ScrapeError(ScrapeError.REFUSED, f"{url}: HTTP 202 challenge page (http)")
    _raise_for_status(url, status, "http")
    return final_url, _read(page_html, url)


def fetch_browser(url: str, *, timeout: float) -> tuple[str, Extraction]:
    page = browser_fetch(url, timeout=timeout)
    _raise_for_status(url, page.status, "browser")
    return page.final_url, _read(page.html, url)


def with_retries(attempt: Callable[[], tuple[str, Extraction]], url: str):
    """Run one polite attempt (host lease held), again after a doubling pause while the error
    is worth retrying (timeouts, 5xx, 429, a browser that died)."""
    tries = settings.RECSYS_SCRAPE_RETRIES + 1
    pause = settings.RECSYS_SCRAPE_BACKOFF
    for number in range(1, tries + 1):
        try:
            with host_slot(url):
                return attempt()
        except ScrapeError as error:
            if not error.retryable or number == tries:
                if number > 1:
                    error.message = f"{error.message} (after {number} tries)"
                    error.args = (error.message,)
                raise
        time.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")


def scrape_title(
    imdb_id: str, *, base_url: str | None = None, fetcher: Fetcher | None = None
) -> ScrapedPage:
    """Fetch and read one title page. ``auto`` tries a plain HTTP fetch first and uses the
    browser when that gives no title data (a page that needs JavaScript, a bot challenge)."""
    fetcher = fetcher or settings.RECSYS_SCRAPE_FETCHER
    if fetcher not in FETCHERS:
        raise ScrapeError(ScrapeError.BROWSER, f"unknown fetcher {fetcher!r}: one of {FETCHERS}")
    url = title_url(imdb_id, base_url=base_url)
    ensure_allowed(url)
    timeout = settings.RECSYS_SCRAPE_TIMEOUT
    started = time.perf_counter()
    used = fetcher
    if fetcher in ("auto", "http"):
        used = "http"
        try:
            final_url, extraction = with_retries(lambda: fetch_http(url, timeout=timeout), url)
        except ScrapeError as error:
            fallback = error.kind in (ScrapeError.NO_DATA, ScrapeError.REFUSED)
            if fetcher == "http" or not fallback:
                raise
            used = "browser"
    if used == "browser":
        final_url, extraction = with_retries(lambda: fetch_browser(url, timeout=timeout), url)
    return ScrapedPage(
        imdb_id=imdb_id,
        url=url,
        final_url=final_url,
        fetcher=used,
        seconds=time.perf_counter() - started,
        extraction=extraction,
    )
