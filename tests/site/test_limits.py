"""Request budgets (recsys_site/ratelimit.py): charged by cost, per real client behind a trusted
proxy, and over every route that does work (issue 21, findings 1 and 2)."""

import uuid

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from recommendations.search.query import parse_query
from recsys_site import clients, ratelimit
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db

LONG_QUERY = " ".join(f"word{i % 97}" for i in range(3_000))[:19_990]  # the longest allowed


@pytest.fixture
def limits(settings, one_fixed_minute):
    """The limits on, in one fixed minute (requests that straddle a minute boundary would
    start a new window), every budget generous unless a test lowers it."""
    settings.RECSYS_RATELIMIT_ENABLED = True
    settings.RECSYS_RATELIMIT_PER_MINUTE = 1000
    settings.RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE = 1000
    settings.RECSYS_RATELIMIT_PAGES_PER_MINUTE = 1000
    settings.RECSYS_RATELIMIT_LOGIN_PER_MINUTE = 1000
    settings.RECSYS_TRUSTED_PROXIES = []
    return settings


def statuses(client, n: int, path: str, method: str = "get", **kwargs) -> list[int]:
    return [getattr(client, method)(path, **kwargs).status_code for _ in range(n)]


# --- finding 1: cost ------------------------------------------------------------------------


def test_a_long_query_is_read_as_at_most_the_configured_number_of_chunks(settings):
    settings.RECSYS_QUERY_MAX_CHUNKS = 4

    parsed = parse_query(LONG_QUERY)

    assert len(LONG_QUERY) > 19_000
    assert len(parsed.chunks) == 4
    assert len(parsed.text.split()) == 4 * 160  # the lexical stage reads no more words
    words = LONG_QUERY.split()
    assert parsed.text.split() == words[: 3 * 160] + words[-160:]  # its start and its end
    assert parse_query("a shark eats swimmers").chunks == ("a shark eats swimmers",)


def test_a_search_is_charged_by_the_words_the_model_encodes(client, limits):
    limits.RECSYS_QUERY_MAX_CHUNKS = 4
    limits.RECSYS_RATELIMIT_WORDS_PER_UNIT = 8
    limits.RECSYS_RATELIMIT_PER_MINUTE = 170
    assert ratelimit.search_cost(LONG_QUERY) == 80  # 4 chunks of 160 words, 8 words a unit
    assert ratelimit.search_cost("heist") == 1

    long_searches = statuses(client, 3, "/", data={"q": LONG_QUERY}, REMOTE_ADDR="10.1.0.1")
    short_searches = statuses(client, 10, "/", data={"q": "heist"}, REMOTE_ADDR="10.1.0.2")

    assert long_searches == [200, 200, 429]  # 80 + 80 units; the third would reach 240
    assert short_searches == [200] * 10  # on another client's budget


def test_the_query_api_is_charged_by_the_words_of_its_query(client, limits):
    limits.RECSYS_RATELIMIT_PER_MINUTE = 170
    url = reverse("recommendations:api-query")
    body = {"query": LONG_QUERY, "top_k": 1}

    codes = statuses(client, 3, url, "post", data=body, content_type="application/json")

    assert codes[:2] == [200, 200]
    assert codes[2] == 429


def test_why_panels_have_a_budget_of_their_own(client, limits):
    limits.RECSYS_RATELIMIT_PER_MINUTE = 2
    limits.RECSYS_RATELIMIT_EXPLAIN_PER_MINUTE = 25
    film = MovieFactory(title="Heat", synopsis="A crew of thieves and a detective.")
    why = reverse("explain:why", args=[film.pk])

    searches = statuses(client, 2, "/", data={"q": "heist"})
    panels = statuses(client, 20, why, data={"q": "heist"}, headers={"HX-Request": "true"})

    assert searches == [200, 200]
    assert panels == [200] * 20  # a page's 20 lazy panels do not eat the search budget
    assert client.get("/", {"q": "heist"}).status_code == 429
    assert statuses(client, 6, why, data={"q": "heist"})[-1] == 429  # and they have a limit


# --- finding 2: who the client is, and which routes are limited ------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not a proxy: its header is ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "1.1.1.1, 198.51.100.7", "198.51.100.7"),  # left of it: client-written
        ("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.3", "198.51.100.7"),  # two proxies
        ("10.0.0.2", "not-an-address, 10.0.0.3", "10.0.0.3"),  # garbage: last vouched-for hop
        ("10.0.0.2", "", "10.0.0.2"),
        ("fd00::5", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_read_from_x_forwarded_for_only_through_trusted_proxies(
    settings, remote, forwarded, client
):
    settings.RECSYS_TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert clients.client_ip(request) == client


def test_visitors_behind_the_proxy_have_budgets_of_their_own(client, limits):
    limits.RECSYS_TRUSTED_PROXIES = ["127.0.0.1"]
    limits.RECSYS_RATELIMIT_PER_MINUTE = 2

    def search(visitor: str) -> int:
        return client.get(
            "/", {"q": "heist"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=visitor
        ).status_code

    assert [search("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert search("198.51.100.2") == 200


def test_a_client_cannot_pick_its_bucket_by_writing_x_forwarded_for(client, limits):
    limits.RECSYS_RATELIMIT_PER_MINUTE = 2

    codes = [
        client.get(
            "/", {"q": "heist"}, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}"
        ).status_code
        for i in range(3)
    ]

    assert codes == [200, 200, 429]


def routes(film_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("post", "/admin/login/", {"data": {"username": "x", "password": "y"}}),
        ("post", "/accounts/login/", {"data": {"username": "x", "password": "y"}}),
        ("post", "/accounts/signup/", {"data": {"username": "x"}}),
        ("post", f"/films/{film_id}/reaction/", {"data": {"value": "like"}}),
        ("post", f"/films/{film_id}/my-list/", {}),
        ("get", "/home/rows/popular/", {}),
        ("get", "/home/", {}),
        ("get", f"/movies/{film_id}/", {}),
        ("get", "/readyz", {}),
        ("get", f"/api/movies/{film_id}/similar", {}),
    ]


@pytest.mark.parametrize("index", range(10))
def test_every_route_that_does_work_is_limited(client, limits, index):
    film = MovieFactory(title="Heat")
    method, path, kwargs = routes(film.pk)[index]
    for name in ratelimit.BUDGET_SETTINGS.values():
        setattr(limits, name, 2)

    codes = statuses(client, 3, path, method, **kwargs)

    assert 429 not in codes[:2], (path, codes)
    assert codes[2] == 429, (path, codes)


def test_login_pages_are_not_limited_when_only_shown(client, limits):
    limits.RECSYS_RATELIMIT_LOGIN_PER_MINUTE = 1

    assert statuses(client, 3, "/accounts/login/") == [200, 200, 200]


def test_every_route_the_budgets_name_exists():
    """A name (or prefix) that matches no route limits nothing: the old "/search" prefix."""
    named = (
        ratelimit.EXPLAIN_ROUTES
        | ratelimit.SEARCH_API_ROUTES
        | ratelimit.LOGIN_ROUTES
        | ratelimit.PAGE_ROUTES
        | {"recommendations:search", "recommendations:api-query"}
    )
    for name in named:
        try:
            reverse(name)
        except NoReverseMatch:
            reverse(name, kwargs={"movie_id": 1})  # fails too for a name that is no route


def test_a_429_says_when_to_come_back(client, limits):
    limits.RECSYS_RATELIMIT_PER_MINUTE = 1
    client.get("/", {"q": "heist"})

    response = client.get("/", {"q": "heist"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "1 search units a minute" in response.content.decode()


@pytest.fixture
def redis_cache(settings):
    """Django's Redis cache on this run's test database, under a prefix of its own."""
    from tests.conftest import REDIS_TEST_DB

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{REDIS_TEST_DB}",
            "KEY_PREFIX": f"limits-{uuid.uuid4().hex[:8]}",
        }
    }
    from django.core.cache import cache

    yield cache
    cache.clear()


def test_a_redis_window_counts_in_one_round_trip_and_expires(redis_cache, one_fixed_minute):
    from django.core.cache import caches

    client = caches["default"]._cache.get_client(write=True)
    key = caches["default"].make_and_validate_key("ratelimit:search:10.0.0.1:30000000")
    sent = []
    original = type(client).execute_command
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "redis.client.Redis.execute_command",
            lambda self, *args, **kw: sent.append(args[0]) or original(self, *args, **kw),
        )
        totals = [clients.spend("search:10.0.0.1", cost) for cost in (3, 1, 5)]

    assert totals == [3, 4, 9]
    assert redis_cache.get("ratelimit:search:10.0.0.1:30000000") == 9
    assert 0 < client.ttl(key) <= 2 * clients.WINDOW_SECONDS
    assert sent == []  # no lone command: each spend is one pipeline


def test_redis_budgets_refuse_past_the_limit(client, limits, redis_cache):
    limits.RECSYS_RATELIMIT_PER_MINUTE = 2

    assert statuses(client, 3, "/api/recommend/query", method="post", data={}) == [400, 400, 429]
