"""The curator's console in a real headless Chromium against the live server, with a real
Celery worker scraping the local IMDb stand-in: the job page's fields all change as the worker
runs the job; cancel and retry; a failed scrape offers a retry, never an apply.

Set RECSYS_SCREENSHOT_DIR=docs to save the pages as PNG (docs/admin-job.png, ...)."""

import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from selenium.webdriver.common.by import By

from jobs.models import Job
from scraping.models import ScrapeResult
from scraping.services import scrape_job_create
from tests.conftest import chromium_driver
from tests.factories import MovieFactory
from tests.scraping.conftest import SLOW_ID, wait_for

pytestmark = pytest.mark.slow
FIELDS = ["title", "status", "done", "failed", "elapsed", "rate", "eta", "started", "finished"]


@pytest.fixture
def admin_page(live_server, transactional_db):
    """A Chromium signed in to admin as a superuser; page(path) opens a page of the live server."""
    user = get_user_model().objects.create_superuser("curator", "c@example.com", "pw")
    base = live_server.url.replace("://localhost", "://127.0.0.1")
    with chromium_driver(window_size="1280,1100") as driver:
        driver.get(f"{base}/admin/login/")
        driver.find_element(By.NAME, "username").send_keys("curator")
        driver.find_element(By.NAME, "password").send_keys("pw")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        wait_for(lambda: "/admin/login/" not in driver.current_url, timeout=20)
        driver.user = user
        driver.page = lambda path: driver.get(f"{base}{path}")
        yield driver


def _fields(driver) -> dict[str, str]:
    # Every field is read through one panel element: htmx swaps the whole panel (outerHTML),
    # so a read that straddles a swap meets a detached panel and raises, instead of pairing
    # the old heading with the new status.
    try:
        panel = driver.find_element(By.ID, "job-panel")
        return {
            name: panel.find_element(By.CSS_SELECTOR, f'[data-field="{name}"]').text
            for name in FIELDS
        }
    except Exception:  # the panel was being swapped: read it on the next poll
        return {}


def _watch(driver, until, timeout=60.0) -> list[dict]:
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fields = _fields(driver)
        if fields and (not seen or fields != seen[-1]):
            seen.append(fields)
        if fields and until(fields):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"the panel never reached the end state; it showed {seen[-3:]}")


def _screenshot(driver, name: str) -> None:
    folder = os.environ.get("RECSYS_SCREENSHOT_DIR")
    if folder:
        driver.save_screenshot(str(Path(folder) / name))


def _films():
    # Scraped in id order: the stand-in answers SLOW_ID after 6 s with a 404.
    slow = MovieFactory(title="Slow Harbour", year=2001, imdb_id=SLOW_ID)
    fast = MovieFactory(title="Cartographer's Silence", year=2019, imdb_id="tt9100001")
    other = MovieFactory(title="Harbour Lights", year=None, imdb_id="tt9100002", synopsis="")
    return [slow, fast, other]


def test_every_field_of_the_job_page_changes_as_the_worker_runs_it(scrape_worker, admin_page):
    films = _films()
    job = scrape_job_create(movie_ids=[f.pk for f in films], created_by=admin_page.user)
    admin_page.page(reverse("admin:jobs_job_change", args=[job.pk]))

    seen = _watch(admin_page, lambda f: f["status"] in ("Succeeded", "Failed"))

    first, last = seen[0], seen[-1]
    assert any(s["status"] == "Running" for s in seen), seen
    for name in ["status", "done", "failed", "elapsed", "started", "finished"]:
        assert len({s[name] for s in seen}) > 1, (name, seen)
    assert last["done"].startswith("2 of 3") and last["failed"] == "1"
    # The heading carries the status and refreshes with it: never "Queued" beside a full bar.
    assert all(s["title"] == f"Scrape IMDb #{job.pk}\n{s['status']}" for s in seen), seen
    assert first["status"] in ("Queued", "Running")
    assert last["eta"] == "—" and last["finished"] != "—"
    assert "items/s" in last["rate"]
    page = admin_page.find_element(By.ID, "job-panel").text
    assert "curator, from an admin action" in page
    assert "127.0.0.1 has no such title (HTTP 404)" in page  # the human error
    detail = admin_page.find_element(By.CSS_SELECTOR, ".job-panel__errors details")
    assert detail.get_attribute("open") is None  # the raw text is folded away
    _screenshot(admin_page, "admin-job.png")

    # Retry only the failed film: a new job of that one film, linked to this one.
    admin_page.find_element(By.NAME, "retry_failed").click()
    retry = wait_for(lambda: Job.objects.filter(retry_of=job).first(), timeout=20)
    assert retry.params["movie_ids"] == [films[0].pk] and retry.origin == Job.Origin.RETRY
    _watch(admin_page, lambda f: f["status"] in ("Succeeded", "Failed"))
    assert "from a retry of job #" in admin_page.find_element(By.ID, "job-panel").text


def test_cancel_a_running_scrape_then_run_it_again(scrape_worker, admin_page):
    films = _films()
    job = scrape_job_create(movie_ids=[f.pk for f in films], created_by=admin_page.user)
    admin_page.page(reverse("admin:jobs_job_change", args=[job.pk]))
    _watch(admin_page, lambda f: f["status"] == "Running", timeout=30)

    admin_page.find_element(By.NAME, "cancel").click()
    seen = _watch(admin_page, lambda f: f["status"] == "Cancelled", timeout=20)

    assert seen[-1]["finished"] != "—"
    time.sleep(7)  # the slow film's fetch ends; the worker then stops instead of going on
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and job.done + job.failed <= 1
    assert ScrapeResult.objects.filter(job=job).count() <= 1

    admin_page.find_element(By.NAME, "retry").click()
    again = wait_for(lambda: Job.objects.filter(retry_of=job).first(), timeout=20)
    seen = _watch(admin_page, lambda f: f["status"] in ("Succeeded", "Failed"))
    assert seen[-1]["done"].startswith("2 of 3"), seen[-1]
    assert again.params == job.params


def test_a_failed_scrape_offers_a_retry_and_never_an_apply(scrape_worker, admin_page):
    slow = _films()[0]
    job = scrape_job_create(movie_ids=[slow.pk], created_by=admin_page.user)
    wait_for(lambda: not Job.objects.get(pk=job.pk).is_active, timeout=60)
    result = ScrapeResult.objects.get(job=job)
    assert result.status == ScrapeResult.Status.FAILED

    admin_page.page(reverse("admin:jobs_job_change", args=[job.pk]))
    admin_page.find_element(By.LINK_TEXT, "Review the scraped values").click()
    listing = admin_page.page_source
    assert "has no such title (HTTP 404)" in listing
    admin_page.page(reverse("admin:scraping_scraperesult_changelist") + "?status__exact=failed")
    options = [
        o.text for o in admin_page.find_elements(By.CSS_SELECTOR, "select[name=action] option")
    ]
    assert "Apply every differing field" not in options
    assert "Scrape the selected films again" in options

    admin_page.page(reverse("admin:scraping_scraperesult_change", args=[result.pk]))
    assert not admin_page.find_elements(By.NAME, "_apply")
    assert (
        "127.0.0.1 has no such title (HTTP 404)"
        in admin_page.find_element(By.CSS_SELECTOR, ".scrape-error").text
    )
    _screenshot(admin_page, "admin-scrape-review.png")
    admin_page.find_element(By.NAME, "_retry").click()
    again = wait_for(
        lambda: Job.objects.filter(kind=Job.Kind.SCRAPE).exclude(pk=job.pk).first(), timeout=20
    )
    assert again.params["movie_ids"] == [slow.pk]
    wait_for(lambda: f"/jobs/job/{again.pk}/" in admin_page.current_url, timeout=20)
