"""/healthz (the process answers) and /readyz (every part a request needs answers)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    from recsys_site.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def check_chroma() -> None:
    from recommendations.vector_store import get_client

    get_client().heartbeat()


def check_models() -> None:
    from recommendations.query_encoder import encode_queries

    encode_queries(["ready"])  # loads the query encoder once per process; then ~1 ms


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "chroma": check_chroma,
    "models": check_models,
}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            checks[name] = {"ok": True}
        except Exception as exc:  # report every failing part, not just the first
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        checks[name]["ms"] = round(1000 * (time.perf_counter() - started), 1)
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    if settings.DEBUG:
        body["debug"] = True
    return JsonResponse(body, status=200 if ready else 503)
