"""Scraping fixtures: a local IMDb stand-in, scraper settings pointing at it, one headless
Chromium for the whole session, and a real Celery worker for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.test import override_settings

from scraping.browser import close_browser, get_browser
from tests.conftest import ROOT, SHARED_DATA, celery_app_using, database_url_of_tests
from tests.scraping.imdb_server import ImdbServer, fixture_pages

REDIS_URL = "redis://127.0.0.1:6379/3"
QUEUE = f"test-scraping-{uuid.uuid4().hex[:8]}"  # of this run alone
NOT_FOUND_ID = "tt9199999"
SLOW_ID = "tt9199998"
OUTSIDE_REDIRECT_ID = "tt9199997"
FLAKY_ID = "tt9199996"
SLOW_SECONDS = 6.0
PAGE_TIMEOUT = 1.5


@pytest.fixture(scope="session")
def imdb_server():
    pages = fixture_pages(SHARED_DATA / "imdb-pages")
    pages[FLAKY_ID] = pages["tt9100001"]
    server = ImdbServer(
        pages=pages,
        slow_ids={SLOW_ID: SLOW_SECONDS},
        redirects={OUTSIDE_REDIRECT_ID: "http://outside.test:{port}/title/tt9100001/"},
    ).start()
    yield server
    server.stop()


def scrape_overrides(server: ImdbServer) -> dict:
    return {
        "RECSYS_SCRAPE_BASE_URL": server.base_url,
        "RECSYS_SCRAPE_ALLOWED_HOSTS": ["127.0.0.1"],
        "RECSYS_SCRAPE_MIN_INTERVAL": 0.0,
        "RECSYS_SCRAPE_TIMEOUT": 10.0,
        "RECSYS_SCRAPE_RETRIES": 1,
        "RECSYS_SCRAPE_BACKOFF": 0.05,
        "RECSYS_SCRAPE_FETCHER": "auto",
        "RECSYS_SCRAPE_QUEUE": QUEUE,
    }


@pytest.fixture(autouse=True)
def scrape_settings(imdb_server, settings):
    for name, value in scrape_overrides(imdb_server).items():
        setattr(settings, name, value)
    return settings


@pytest.fixture(scope="session")
def browser(imdb_server):
    """One real headless Chromium for every test that needs it (the process's own browser)."""
    with override_settings(**scrape_overrides(imdb_server)):
        shared = get_browser()
    yield shared
    close_browser()


@pytest.fixture
def real_pages() -> Path:
    pages = SHARED_DATA / "imdb-pages"
    if not pages.is_dir():
        pytest.skip("../shared/data/imdb-pages is absent")
    return pages


def _forward(stream, lines: list[str], ready: threading.Event) -> None:
    for line in iter(stream.readline, ""):
        lines.append(line)
        if " ready." in line:
            ready.set()


@pytest.fixture
def scrape_worker(transactional_db, imdb_server):
    """A real `celery worker` subprocess on the test queue, reading the file test database."""

    redis.Redis.from_url(REDIS_URL).delete(QUEUE)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": "",
        **{
            name: ",".join(value) if isinstance(value, list) else str(value)
            for name, value in scrape_overrides(imdb_server).items()
        },
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recsys_site",
            "worker",
            "-Q",
            QUEUE,
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"scraping-test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_forward, args=(worker.stdout, lines, ready), daemon=True).start()
    if not ready.wait(90):
        worker.kill()
        pytest.fail("the Celery worker did not start:\n" + "".join(lines[-40:]))
    worker.log = lines
    with celery_app_using(REDIS_URL, QUEUE):
        yield worker
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(predicate, timeout: float = 60.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")
