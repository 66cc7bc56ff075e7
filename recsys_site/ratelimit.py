"""Fixed-window request budgets per client address, charged by what a request costs.

Each request that does real work belongs to one budget (settings, docs/security.md):
- search: the search page with a query, the query and similar-films APIs; a query costs one
  unit per RECSYS_RATELIMIT_WORDS_PER_UNIT words the model encodes (at least 1; a short query costs
  1, a query at the chunk cap of recommendations/search/query.py 640 / 8 = 80);
- explain: the "why this?" panels a search page loads lazily (up to 20), apart from search;
- pages: the other pages of the public apps that read the database, and /readyz;
- login: POSTs that check or set a password (each one a deliberately slow hash).

The client is REMOTE_ADDR, or, when that is a trusted proxy (RECSYS_TRUSTED_PROXIES), the
right-most X-Forwarded-For address that is not one. Counts live in Django's cache (Redis when
REDIS_URL is set, so every web process shares them).
"""

import ipaddress
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from recommendations.search.query import query_words_read

WINDOW_SECONDS = 60
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


# --- who is asking ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"RECSYS_TRUSTED_PROXIES: {error}") from None


def trusted_proxies() -> tuple[IpNetwork, ...]:
    return _networks(tuple(settings.RECSYS_TRUSTED_PROXIES))


def _address(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: IpAddress | None, networks: tuple[IpNetwork, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address a request came from. X-Forwarded-For is read only when the connection is
    from a trusted proxy, and from the right: each trusted proxy appends the address it saw,
    so the first untrusted address from the right is the client (anything left of it is what
    the client wrote itself)."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    networks = trusted_proxies()
    if not _is_trusted(_address(remote), networks):
        return remote
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:  # garbage: keep the last address a trusted proxy vouched for
            break
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


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


def charge_for(request: HttpRequest) -> Charge | None:
    """The budget a request draws on and its cost, or None for an unlimited one."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    name = match.view_name
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
    if name in PAGE_ROUTES or match.namespace in PAGE_NAMESPACES:
        return Charge("pages", 1)
    return None


# --- counting --------------------------------------------------------------------------------


def current_window() -> int:
    return int(time.time() // WINDOW_SECONDS)


def seconds_left_in_window() -> int:
    return max(1, int(WINDOW_SECONDS - time.time() % WINDOW_SECONDS) + 1)


def spend(key_base: str, cost: int) -> int:
    """Add `cost` to this window's count for `key_base`; the new total."""
    key = f"ratelimit:{key_base}:{current_window()}"
    if isinstance(backend := caches["default"], RedisCache):
        return _spend_in_redis(backend, key, cost)
    if cache.add(key, cost, timeout=WINDOW_SECONDS * 2):
        return cost
    try:
        return cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.add(key, cost, timeout=WINDOW_SECONDS * 2)
        return cost


def _spend_in_redis(backend: RedisCache, key: str, cost: int) -> int:
    """One round trip, where Django's add() then incr() take three (incr checks that the key
    exists first): the window's counter is made if it is new, then added to, in one pipeline.
    Counters are plain integers, which Django's Redis cache reads back as such."""
    full_key = backend.make_and_validate_key(key)
    pipeline = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
    pipeline.set(full_key, 0, ex=WINDOW_SECONDS * 2, nx=True)
    pipeline.incrby(full_key, cost)
    return int(pipeline.execute()[1])


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
