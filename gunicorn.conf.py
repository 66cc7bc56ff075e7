"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py recsys_site.wsgi`."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads overlap database and Chroma waits; the model itself encodes one query at a time.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"


def post_worker_init(worker) -> None:
    """Load the models before the first request, not during it."""
    from recsys_site.warmup import warm_up

    warm_up()
