"""Fixed-window request budgets per client address, charged by what a request costs.

Each request that does real work belongs to one budget (settings, docs/security.md):
- search: the search page with a query, the query and similar-films APIs; a query costs one
  unit per RECSYS_RATELIMIT_WORDS_PER_UNIT words the model encodes (at least 1; a short query costs
  1, a query at the chunk cap of recommendations/search/query.py 640 / 8 = 80);
- explain: the "why this?" panels a search page loads lazily (up to 20), apart from search;
- pages: the other pages of the public apps that read the database, and /readyz;
- login: POSTs that check or set a password (each one a deliberately slow hash).

The client is REMOTE_ADDR, or, when that is a trusted proxy (RECSYS_TRUSTED_PROXIES), the
right-most X-Forwarded-For address that is not one (recsys_site/clients.py, which also counts).
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLResolver, get_resolver
from django.urls.exceptions import Resolver404

from recommendations.search.query import query_words_read
from recsys_site.clients import client_ip, seconds_left_in_window, spend


@dataclass(frozen=True)
class Charge:
    budget: str  # search | explain | pages | login
    cost: int


BUDGET_SETTINGS = {
    "search": "RECSYS_RATELIMIT_PER_MINUTE",
    "explain": "RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE",
    "pages": "RECSYS_RATELIMIT_PAGES_PER_MINUTE",
    "login": "RECSYS_RATELIMIT_LOGIN_PER_MINUTE",
}
# Routes (by name) and their budgets; other routes of these namespaces are "pages", so that a
# new public view is limited without being listed here.
EXPLAIN_ROUTES = {"explain:why", "explain:api"}
SEARCH_API_ROUTES = {"recommendations:api-query", "recommendations:api-similar"}
LOGIN_ROUTES = {"admin:login", "viewers:login", "viewers:signup"}
PAGE_ROUTES = {"readyz"}
PAGE_NAMESPACES = {"recommendations", "viewers", "explain"}


# --- what a request costs --------------------------------------------------------------------


def _api_query_text(request: HttpRequest) -> str:
    """The query of a POST to the query API, read as the view will; "" if unreadable (the
    view answers 400 to it, at the cost of one unit)."""
    from recommendations.api import MAX_BODY_BYTES

    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return ""
        query = json.loads(request.body).get("query")
    except Exception:  # any malformed body: the view says what is wrong
        return ""
    return query if isinstance(query, str) else ""


def search_cost(query: str) -> int:
    """Units a search costs: the words the model encodes, RECSYS_RATELIMIT_WORDS_PER_UNIT a unit."""
    return max(1, math.ceil(query_words_read(query) / settings.RECSYS_RATELIMIT_WORDS_PER_UNIT))


@lru_cache(maxsize=1024)
def _route(resolver: URLResolver, path: str) -> tuple[str, str] | None:
    """The view name and namespace of a path, resolved once per path (URL resolution
    walks every pattern; the handler resolves the path again for itself)."""
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return None
    return match.view_name, match.namespace


def charge_for(request: HttpRequest) -> Charge | None:
    """The budget a request draws on and its cost, or None for an unlimited one."""
    route = _route(get_resolver(), request.path_info)  # a new resolver: URLs changed
    if route is None:
        return None
    name, namespace = route
    if name in LOGIN_ROUTES:
        return Charge("login", 1) if request.method == "POST" else None
    if name in EXPLAIN_ROUTES:
        return Charge("explain", 1)
    if name == "recommendations:search" and request.GET.get("q"):
        return Charge("search", search_cost(request.GET["q"]))
    if name == "recommendations:api-query":
        return Charge("search", search_cost(_api_query_text(request)))
    if name in SEARCH_API_ROUTES:
        return Charge("search", 1)
    if name in PAGE_ROUTES or namespace in PAGE_NAMESPACES:
        return Charge("pages", 1)
    return None


def budget_of(name: str) -> int:
    return getattr(settings, BUDGET_SETTINGS[name])


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.RECSYS_RATELIMIT_ENABLED and (charge := charge_for(request)):
            budget = budget_of(charge.budget)
            if budget:
                try:
                    spent = spend(f"{charge.budget}:{client_ip(request)}", charge.cost)
                except Exception:  # a cache outage must not take the site down with it
                    spent = 0
                if spent > budget:
                    return too_many_requests(request, charge.budget, budget)
        return self.get_response(request)


def too_many_requests(request: HttpRequest, name: str, budget: int) -> HttpResponse:
    unit = "search units" if name == "search" else "requests"
    message = f"Too many requests: at most {budget} {unit} a minute ({name}). Wait a moment."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"error": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain")
    response["Retry-After"] = str(seconds_left_in_window())
    return response
