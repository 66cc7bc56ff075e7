"""Point this process's Celery app at another broker for one test."""

from collections.abc import Iterator
from contextlib import contextmanager

from recsys_site.celery import app as celery_app
from tests.conftest import celery_app_using

DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextmanager
def celery_broker(url: str, *, queue: str | None = None) -> Iterator[None]:
    with celery_app_using(url, queue or celery_app.conf.task_default_queue):
        yield
