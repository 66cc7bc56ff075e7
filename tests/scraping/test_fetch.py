"""Fetching with real headless Chromium (and plain HTTP) from the local IMDb stand-in."""

import os
import signal
import time

import pytest

from scraping.browser import get_browser
from scraping.errors import ScrapeError
from scraping.fetch import scrape_title
from tests.scraping.conftest import (
    FLAKY_ID,
    NOT_FOUND_ID,
    OUTSIDE_REDIRECT_ID,
    PAGE_TIMEOUT,
    SLOW_ID,
)
from tests.scraping.expected import FIXTURES, REAL, assert_matches

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize("imdb_id", sorted(REAL))
def test_browser_reads_every_field_of_the_real_saved_pages(browser, real_pages, imdb_id):
    page = scrape_title(imdb_id, fetcher="browser")
    assert page.fetcher == "browser"
    assert page.extraction.imdb_id == imdb_id
    assert_matches(imdb_id, page.extraction.fields, page.extraction.missing, REAL[imdb_id])


@pytest.mark.parametrize("imdb_id", sorted(FIXTURES))
def test_browser_reads_every_field_of_our_fixtures(browser, imdb_id):
    page = scrape_title(imdb_id, fetcher="browser")
    expected = FIXTURES[imdb_id]
    assert_matches(imdb_id, page.extraction.fields, page.extraction.missing, expected)


def test_one_browser_serves_every_page(browser):
    shared = get_browser()
    before = shared.pages_loaded
    scrape_title("tt9100001", fetcher="browser")
    scrape_title("tt9100002", fetcher="browser")
    assert get_browser() is shared
    assert shared.pages_loaded == before + 2


def test_auto_reads_static_pages_over_http_and_falls_back_to_the_browser(browser):
    static = scrape_title("tt9100003", fetcher="auto")
    assert static.fetcher == "http"
    assert static.extraction.fields["title"] == "Night Ferry to Tallinn"
    rendered = scrape_title("tt9100005", fetcher="auto")
    assert rendered.fetcher == "browser"
    assert rendered.extraction.fields["title"] == "Paper Moons"


def test_http_alone_cannot_read_a_javascript_page():
    with pytest.raises(ScrapeError) as error:
        scrape_title("tt9100005", fetcher="http")
    assert error.value.kind == ScrapeError.NO_DATA


@pytest.mark.parametrize("fetcher", ["browser", "http"])
def test_a_missing_title_is_a_clear_404(browser, fetcher):
    with pytest.raises(ScrapeError) as error:
        scrape_title(NOT_FOUND_ID, fetcher=fetcher)
    assert error.value.kind == ScrapeError.NOT_FOUND
    assert "HTTP 404" in error.value.message


@pytest.mark.parametrize("fetcher", ["browser", "http"])
def test_a_page_that_never_comes_times_out_after_the_retries(browser, settings, fetcher):
    settings.RECSYS_SCRAPE_TIMEOUT = PAGE_TIMEOUT
    started = time.monotonic()
    with pytest.raises(ScrapeError) as error:
        scrape_title(SLOW_ID, fetcher=fetcher)
    assert error.value.kind == ScrapeError.TIMEOUT
    assert "after 2 tries" in error.value.message
    assert time.monotonic() - started < 2 * PAGE_TIMEOUT + 3
    # The browser is still usable after a timed-out page.
    assert scrape_title("tt9100001", fetcher=fetcher).extraction.fields["year"] == 2019


def test_a_base_url_outside_the_allow_list_is_never_requested(browser, imdb_server):
    before = len(imdb_server.requests)
    outside = f"http://localhost:{imdb_server.port}"
    for fetcher in ("browser", "http", "auto"):
        with pytest.raises(ScrapeError) as error:
            scrape_title("tt9100001", base_url=outside, fetcher=fetcher)
        assert error.value.kind == ScrapeError.DISALLOWED
        assert "'localhost' is not in RECSYS_SCRAPE_ALLOWED_HOSTS" in error.value.message
    assert len(imdb_server.requests) == before


@pytest.mark.parametrize("fetcher", ["browser", "http"])
def test_a_redirect_outside_the_allow_list_is_refused(browser, imdb_server, fetcher):
    with pytest.raises(ScrapeError) as error:
        scrape_title(OUTSIDE_REDIRECT_ID, fetcher=fetcher)
    assert error.value.kind == ScrapeError.DISALLOWED
    assert "outside.test" in error.value.message
    assert "redirected from" in error.value.message
    assert not [h for h, _ in imdb_server.requests if h.startswith("outside.test")]


def test_the_browser_itself_cannot_resolve_hosts_outside_the_allow_list(browser, imdb_server):
    """Even a script on an allowed page cannot reach elsewhere: the resolver maps it away."""
    shared = get_browser()
    shared.load(f"{imdb_server.base_url}/title/tt9100001/", timeout=5)
    status = shared.driver.execute_async_script(
        "const done = arguments[0];"
        f"fetch('http://outside.test:{imdb_server.port}/title/tt9100001/')"
        ".then(r => done('reached ' + r.status)).catch(e => done('blocked: ' + e.message));"
    )
    assert status.startswith("blocked")


def test_transient_errors_are_retried_with_backoff(browser, imdb_server, settings):
    settings.RECSYS_SCRAPE_RETRIES = 2
    imdb_server.failures[FLAKY_ID] = 2
    page = scrape_title(FLAKY_ID, fetcher="browser")
    assert page.extraction.fields["title"] == "The Cartographer's Silence"
    assert len(imdb_server.paths_requested(FLAKY_ID)) == 3


@pytest.mark.parametrize("what", ["chromium", "chromedriver"])
def test_a_dead_browser_is_replaced_and_leaves_no_process(browser, what):
    dying = get_browser()
    if what == "chromedriver":
        os.kill(dying.driver.service.process.pid, signal.SIGKILL)
        dying.driver.service.process.wait()
    else:
        for pid in dying.own_processes():
            os.kill(pid, signal.SIGKILL)
    page = scrape_title("tt9100002", fetcher="browser")
    assert page.extraction.fields["title"] == "Harbour Lights"
    assert get_browser() is not dying
    time.sleep(0.5)
    assert dying.own_processes() == []
