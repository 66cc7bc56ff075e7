"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py recsys_site.wsgi`."""

import os

# Numeric libraries size their thread pools when a worker loads them: one thread each
# (RECSYS_SERVING_THREADS), so that a search's small products do not leave idle threads
# spinning on the cores other workers need (recsys_site/warmup.py).
_serving_threads = os.environ.get("RECSYS_SERVING_THREADS", "1")
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, _serving_threads)

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
