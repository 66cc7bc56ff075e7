"""Who is asking, and what they have spent this minute: the client address behind trusted
proxies and fixed one-minute counters, for the request budgets (recsys_site/ratelimit.py) and
the apps' own limits (viewers/throttle.py, the explanations). Imports no project app.

Counts live in Django's cache (Redis when REDIS_URL is set, so every web process shares them).
"""

import ipaddress
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from recsys_site.file_cache import FileCache

WINDOW_SECONDS = 60
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
    if isinstance(backend, FileCache):  # one read and one write, in place, under a lock
        return backend.add_to(key, cost, timeout=WINDOW_SECONDS * 2)
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
