"""Fixtures shared by every test module."""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.workers import CeleryWorker, ChromaServer, free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


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

    settings.CHROMA_URL = chroma_server.url
    settings.CHROMA_COLLECTION_PREFIX = f"t{uuid.uuid4().hex[:10]}"
    vector_store.get_client.cache_clear()
    yield vector_store
    for collection in vector_store.get_client().list_collections():
        if collection.name.startswith(settings.CHROMA_COLLECTION_PREFIX):
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


@pytest.fixture
def celery_worker(request, settings, chroma, tmp_path):
    """A factory starting REAL Celery workers against the test database and this test's
    Chroma collections: celery_worker(broker="redis"|"embedded"|URL, beat=False, env={}).
    This process is pointed at the same broker and queue; everything is stopped at the end."""
    started: list[CeleryWorker] = []
    queue = f"test-{request.node.name[:40]}-{uuid.uuid4().hex[:6]}"
    contexts = []

    def start(*, broker: str = "redis", beat: bool = False, env: dict | None = None, **kwargs):
        url = broker_url_for(broker, tmp_path)
        if not contexts:
            contexts.append(celery_app_using(url, queue))
            contexts[-1].__enter__()
        worker = CeleryWorker(
            queue=queue,
            broker_url=url,
            beat=beat,
            log_path=tmp_path / f"worker-{len(started)}.log",
            env={
                "DATABASE_URL": database_url_of_tests(),
                "RECSYS_DATA_DIR": str(settings.DATA_DIR),
                "CHROMA_URL": settings.CHROMA_URL,
                "CHROMA_COLLECTION_PREFIX": settings.CHROMA_COLLECTION_PREFIX,
                "REDIS_URL": "",
                "CELERY_RESULT_BACKEND": "",
                **(env or {}),
            },
            **kwargs,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    for context in contexts:
        context.__exit__(None, None, None)
