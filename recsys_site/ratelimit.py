"""A fixed-window, per-client-IP request limit on search and the API.

Counts live in Django's cache (Redis when REDIS_URL is set, so every web process shares them).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

WINDOW_SECONDS = 60


def is_limited_path(request: HttpRequest) -> bool:
    if request.path == "/" and request.GET.get("q"):
        return True
    return request.path.startswith(settings.RATELIMIT_PATH_PREFIXES)


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def current_window() -> int:
    return int(time.time() // WINDOW_SECONDS)


def request_count(key_base: str) -> int:
    key = f"ratelimit:{key_base}:{current_window()}"
    if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS * 2)
        return 1


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.RATELIMIT_PER_MINUTE
        if limit and is_limited_path(request):
            try:
                count = request_count(client_ip(request))
            except Exception:  # a cache outage must not take search down with it
                count = 0
            if count > limit:
                return too_many_requests(request)
        return self.get_response(request)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    message = f"Too many requests: at most {settings.RATELIMIT_PER_MINUTE} a minute. Wait a moment."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"error": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain")
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response
