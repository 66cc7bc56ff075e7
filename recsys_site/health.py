"""/healthz (the process answers) and /readyz (every part a request needs answers).

/readyz tells everyone ready or not; which part failed and why (exception text can name a
database host or user) only to staff and to a probe with RECSYS_READYZ_TOKEN."""

import secrets
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


def may_see_details(request: HttpRequest) -> bool:
    if getattr(request, "user", None) is not None and request.user.is_staff:
        return True
    token = settings.RECSYS_READYZ_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and secrets.compare_digest(given.encode(), token.encode())


def run_checks() -> dict[str, dict]:
    checks: dict[str, dict] = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
            checks[name] = {"ok": True}
        except Exception as exc:  # report every failing part, not just the first
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        checks[name]["ms"] = round(1000 * (time.perf_counter() - started), 1)
    return checks


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    ready = all(c["ok"] for c in checks.values())
    body: dict = {"status": "ready" if ready else "unavailable"}
    if may_see_details(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if ready else 503)
