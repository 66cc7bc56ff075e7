"""Point this process's Celery app at another broker for one test."""

from collections.abc import Iterator
from contextlib import contextmanager

from recsys_site.celery import app as celery_app

DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _reset_connections() -> None:
    # What Celery itself does after a fork: drop pooled connections and producers.
    celery_app._after_fork()


@contextmanager
def celery_broker(url: str, *, queue: str | None = None) -> Iterator[None]:
    saved = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    celery_app.conf.broker_url = url
    if queue:
        celery_app.conf.task_default_queue = queue
    _reset_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = saved
        _reset_connections()
