"""Fixtures shared by every test module."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.processes import CeleryWorker, ChromaServer, free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def run_python(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """This interpreter in a process of its own, in the repository root (`manage.py ...`,
    `-c code`), its output captured as text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(autouse=True)
def isolated_test_state():
    """Each test starts with an empty cache (cached rows and explanations name other tests'
    films). The request limits are off in tests/settings.py."""
    from django.core.cache import cache

    from recommendations.explain.selectors import recent_sentence_vectors
    from recommendations.search.result_cache import clear_search_results
    from recommendations.selectors import film_cache
    from recommendations.trained_models import expire_active_models

    cache.clear()
    clear_search_results()  # the results of a search are kept per process, not in `cache`
    film_cache.clear()  # so are the films of its cards
    recent_sentence_vectors.clear()  # and the sentence vectors of the films it explained
    # A rolled-back test's registry rows, which this process may have read in the last seconds
    expire_active_models()


@pytest.fixture
def one_fixed_minute(monkeypatch):
    """Every request budget counts in one fixed minute: requests that straddle a minute
    boundary would start a new window, and a test counting to its limit would pass it."""
    from recsys_site import clients

    monkeypatch.setattr(clients, "current_window", lambda: 30_000_000)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a skip where it is absent (a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


# --- Real services: a Chroma server, a Celery worker against the test database ----------------
# (helpers in tests/workers.py; tests that use celery_worker need `transactional_db`)

REDIS_TEST_DB = int(os.environ.get("RECSYS_TEST_REDIS_DB", "1"))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free loopback port, for the whole session."""
    base = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(path=base / "data", port=free_port(), log_path=base / "chroma.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chroma(settings, chroma_server):
    """This test's own collections on the shared Chroma server (a unique name prefix)."""
    from recommendations import vector_store

    settings.RECSYS_CHROMA_URL = chroma_server.url
    settings.RECSYS_CHROMA_COLLECTION_PREFIX = f"t{uuid.uuid4().hex[:10]}"
    vector_store.get_client.cache_clear()
    yield vector_store
    for collection in vector_store.get_client().list_collections():
        if collection.name.startswith(settings.RECSYS_CHROMA_COLLECTION_PREFIX):
            vector_store.get_client().delete_collection(collection.name)
    vector_store.get_client.cache_clear()


def broker_url_for(kind: str, tmp_path) -> str:
    if kind == "redis":
        return f"redis://127.0.0.1:6379/{REDIS_TEST_DB}"
    if kind == "embedded":
        return f"sqlitequeue+sqlite:///{tmp_path / 'broker.sqlite3'}"
    return kind  # a URL


def transport_options_for(broker_url: str) -> dict:
    if broker_url.startswith("redis"):
        return {"visibility_timeout": 600}
    return {"polling_interval": 0.02}


@contextmanager
def celery_app_using(broker_url: str, queue: str):
    """Make this process publish to broker_url / queue, as the worker under test consumes."""
    from recsys_site.celery import app

    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_default_queue", "broker_transport_options")
    }

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(
        broker_url=broker_url,
        task_default_queue=queue,
        broker_transport_options=transport_options_for(broker_url),
    )
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset_pools()


def database_url_of_tests() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}/{db['NAME']}"


class CeleryStack:
    """Real Celery workers against the test database and this test's Chroma collections.

    use_broker("redis" | "embedded" | URL) points this process at a broker and a queue of its
    own (call it before saving films, so that their syncs go there); start_worker(beat=...,
    env={...}) starts `celery -A recsys_site worker` on that broker and queue.
    """

    def __init__(self, *, settings, tmp_path: Path, queue: str):
        self.settings, self.tmp_path, self.queue = settings, tmp_path, queue
        self.workers: list[CeleryWorker] = []
        self.broker_url = ""
        self._app_context = None

    def use_broker(self, broker: str) -> str:
        self._restore_app()
        self.broker_url = broker_url_for(broker, self.tmp_path)
        self._app_context = celery_app_using(self.broker_url, self.queue)
        self._app_context.__enter__()
        return self.broker_url

    def start_worker(self, *, beat: bool = False, env: dict | None = None) -> CeleryWorker:
        if not self.broker_url:
            self.use_broker("redis")
        worker = CeleryWorker(
            queue=self.queue,
            broker_url=self.broker_url,
            beat=beat,
            log_path=self.tmp_path / f"worker-{len(self.workers)}.log",
            env={
                "DATABASE_URL": database_url_of_tests(),
                "RECSYS_DATA_DIR": str(self.settings.RECSYS_DATA_DIR),
                "RECSYS_CHROMA_URL": self.settings.RECSYS_CHROMA_URL,
                "RECSYS_CHROMA_COLLECTION_PREFIX": self.settings.RECSYS_CHROMA_COLLECTION_PREFIX,
                "REDIS_URL": "",
                "CELERY_RESULT_BACKEND": "",
                **(env or {}),
            },
        )
        self.workers.append(worker)
        return worker.start()

    def _restore_app(self) -> None:
        if self._app_context is not None:
            self._app_context.__exit__(None, None, None)
            self._app_context = None

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._restore_app()


@pytest.fixture
def celery_stack(request, settings, chroma, tmp_path):
    """See CeleryStack. Tests using it need `transactional_db` (the worker is another process
    and must see committed rows)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[:40]
    stack = CeleryStack(
        settings=settings, tmp_path=tmp_path, queue=f"test-{name}-{uuid.uuid4().hex[:6]}"
    )
    yield stack
    stack.close()


# --- A real headless Chromium for browser tests against pytest-django's live_server -------
# (open live_server.url with 127.0.0.1 for localhost: every other host resolves to nothing)

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@contextmanager
def chromium_driver(*, window_size: str = "1280,2000"):
    """Headless Chromium through the system chromedriver, with a fresh profile."""
    from selenium import webdriver

    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("chromium and chromedriver are not installed")
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={window_size}"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def emulate_phone(driver, *, width: int = 390, height: int = 844) -> None:
    """Show the pages that follow as a phone's screen does (a window cannot be narrower than
    500 px)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


@pytest.fixture
def browser():
    with chromium_driver() as driver:
        yield driver
