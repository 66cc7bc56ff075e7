"""Bad input never breaks the site: generated requests to the search page and the JSON API
are answered with 200 or a 400 saying what to fix (404 for an unknown film), never a 500; and
no URL pattern of the site, public or admin, answers a 500 to generated paths and parameters."""

import json
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, quote_from_bytes, urlencode

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from recommendations.api import MAX_BODY_BYTES
from recommendations.forms import MAX_QUERY_CHARS
from recommendations.home import RowKind

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
QUERY_URL = "/api/recommend/query"

# --- what a client might send --------------------------------------------------------------


def long_texts(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Strings around the query limit (Hypothesis cannot draw strings that long itself)."""
    lengths = st.integers(min_value=MAX_QUERY_CHARS - 2, max_value=MAX_QUERY_CHARS + 50)
    return st.tuples(alphabet, lengths).map(lambda t: (t[0] * t[1])[: t[1]])


url_texts = st.one_of(  # what a URL can carry: no lone surrogates
    st.text(max_size=40),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Zs", "Co"]), max_size=20),
    st.sampled_from(["heist", "tom hanks", "  ", "\x00", "\u202e", "'; DROP TABLE movies;--"]),
)
lone_surrogates = st.text(st.characters(codec=None, categories=["Cs"]), min_size=1, max_size=3)
texts = url_texts | lone_surrogates
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-5, max_value=200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 100, 101, 10_000, 10_001, 2**31, 2**63, -1]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def mostly(valid: st.SearchStrategy, wild: st.SearchStrategy) -> st.SearchStrategy:
    """A valid value three times in four, so that most requests get as far as the search."""
    return st.one_of(valid, valid, valid, wild)


queries = st.one_of(
    st.sampled_from(["heist", "tom hanks", "shark", "a crew robs a casino", "the 90s"]),
    url_texts,
    long_texts(st.text(min_size=1, max_size=6)),
)
genres = st.sampled_from(["Crime", "drama", "Science Fiction", "Nope", ""])
filters = st.fixed_dictionaries(
    {},
    optional={
        "genres": mostly(st.lists(genres, max_size=3) | genres, json_values | texts),
        "kind": mostly(st.sampled_from(["film", "series", ""]), json_values),
        "year_from": mostly(st.integers(1870, 2100), numbers | json_values),
        "year_to": mostly(st.integers(1870, 2100), numbers | json_values),
    },
)
plausible_requests = st.fixed_dictionaries(
    {"query": mostly(queries, texts | json_values)},
    optional={
        "top_k": mostly(st.integers(1, 100), numbers | json_values),
        "offset": mostly(st.integers(0, 10_000), numbers | json_values),
        "filters": mostly(filters, json_values | st.just({"decade": 1990})),
        "extra": json_values,
    },
)
bodies = st.one_of(
    plausible_requests.map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=200),
    st.text(max_size=200),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "",
    ]
)
NESTED = "[" * 30_000 + "]" * 30_000  # fits the body limit; deeper than json's recursion
assert len(NESTED) < MAX_BODY_BYTES


def assert_answered(response, allowed=(200, 400)) -> None:
    event(f"status {response.status_code}")
    assert response.status_code in allowed, response.content[:500]
    if response.status_code == 400:
        assert response["Content-Type"] == "application/json"
        message = response.json()["error"]
        assert isinstance(message, str) and message
        event(message[:30])


@FUZZ
@given(request=plausible_requests, content_type=content_types)
def test_recommend_query_answers_plausible_requests_with_results_or_a_clear_400(
    films, client: Client, request, content_type
):
    """Requests shaped like the API's, mostly valid: most of them reach the search."""
    body = json.dumps(request)
    response = client.generic("POST", QUERY_URL, data=body, content_type=content_type)

    assert_answered(response)
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


@FUZZ
@given(body=bodies, content_type=content_types)
@example(body='{"query": "heist", "top_k": ' + "9" * 5000 + "}", content_type="application/json")
@example(body='{"query": "heist", "filters": ' + NESTED + "}", content_type="application/json")
@example(body='{"query": "heist \\ud800 crew"}', content_type="application/json")
@example(body='{"query": "heist", "filters": {"genres": ["\\udfff"]}}', content_type="text/plain")
@example(body='{"query": "heist", "top_k": 1e999, "offset": NaN}', content_type="")
@example(body=b"\xff\xfe{\x00", content_type="application/json")
@example(body=json.dumps({"query": "a" * (MAX_BODY_BYTES + 1)}), content_type="application/json")
def test_recommend_query_answers_any_body_with_results_or_a_clear_400(
    films, client: Client, body, content_type
):
    response = client.generic("POST", QUERY_URL, data=body, content_type=content_type)

    assert_answered(response)
    if response.status_code == 200:
        assert isinstance(response.json()["results"], list)


def test_the_longest_query_fits_the_body_limit_however_it_is_escaped(films, client: Client):
    """JSON escapes a character outside the BMP as two \\uXXXX escapes: 12 bytes."""
    body = json.dumps({"query": "\U0001f3ac" * MAX_QUERY_CHARS, "top_k": 1})

    response = client.generic("POST", QUERY_URL, data=body, content_type="application/json")

    assert response.status_code == 200, response.content[:200]


def test_a_well_formed_query_still_finds_films(films, client: Client):
    """The fuzzing above must not pass by refusing everything."""
    body = {"query": "shark at the beach", "top_k": 3, "filters": {"year_from": 1970}}
    response = client.post(QUERY_URL, body, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["results"][0]["title"] == "Jaws"


# --- the search page ----------------------------------------------------------------------

PARAMS = ["q", "genre", "kind", "decade", "year_from", "year_to", "offset"]
param_values = st.one_of(
    url_texts,
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(["Crime", "crime", "film", "series", "1990", "1870", "2100", "1e3", "-0"]),
    long_texts(st.sampled_from(["a", "ab ", "x\n"])),
)
param_pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=10)), param_values),
    max_size=6,
)
raw_queries = st.one_of(
    param_pairs.map(urlencode),
    st.binary(max_size=60).map(lambda b: "q=" + quote_from_bytes(b)),
    st.binary(max_size=60).map(quote_from_bytes),
)


@FUZZ
@given(query_string=raw_queries, htmx=st.booleans())
@example(query_string="q=%ff%fe%00heist&genre=%c0", htmx=False)
@example(query_string="q=heist&offset=20&offset=-1", htmx=True)
@example(query_string="q=heist&offset=10000&year_from=2100&year_to=1870", htmx=True)
@example(query_string="genre=Crime&genre=&genre=Nope&decade=1985", htmx=False)
def test_search_page_answers_any_parameters(films, client: Client, query_string, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.get(f"/?{query_string}", headers=headers)

    assert response.status_code in (200, 400), response.content[:500]


movie_ids = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=2**31, max_value=10**40),
)
top_k_values = st.one_of(
    st.none(),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    param_values,
)


@FUZZ
@given(movie_id=movie_ids, known=st.booleans(), top_k=top_k_values)
@example(movie_id=2**63, known=False, top_k=None)
@example(movie_id=0, known=True, top_k="9" * 5000)
@example(movie_id=0, known=True, top_k="\u0663")  # int() reads Arabic-Indic digits
def test_similar_answers_any_id_and_top_k(films, client: Client, movie_id, known, top_k):
    if known:
        movie_id = films["Heat"].pk
    params = "" if top_k is None else "?" + urlencode({"top_k": top_k})

    response = client.get(f"/api/movies/{movie_id}/similar{params}")

    assert_answered(response, allowed=(200, 400, 404))


# --- every URL pattern ---------------------------------------------------------------------
# Routes are read from the URL resolver, so a view added later is fuzzed without a change here.
# Public routes get GET and POST as a visitor; admin and staff routes GET as a superuser (a
# generated POST could delete the catalogue the other examples need).

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
NOT_FUZZED = {"admin:logout", "viewers:logout"}  # would end the session the others need
ROUTE_FUZZ = settings(FUZZ, max_examples=10)
ROUTE_CASES: Counter[str] = Counter()  # requests sent per URL pattern (tests/site/conftest.py)


@dataclass(frozen=True)
class Route:
    levels: tuple  # the URLPattern / URLResolver patterns from the root, outermost first
    name: str

    @property
    def staff_only(self) -> bool:
        return self.name.startswith(("admin:", "jobs:")) or str(self.levels[0]).startswith("admin")

    def __str__(self) -> str:
        return "".join(str(level) for level in self.levels)


def url_routes() -> list[Route]:
    def walk(patterns, levels, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, (*levels, pattern.pattern), inner)
            else:
                yield Route((*levels, pattern.pattern), f"{namespace}{pattern.name or ''}")

    routes = {str(r): r for r in walk(get_resolver().url_patterns, (), "")}
    return [r for r in routes.values() if r.name not in NOT_FUZZED]


ROUTES = url_routes()
ROW_KINDS = sorted(RowKind.ALL)
weird_numbers = st.sampled_from(
    ["²", "¹²", "\u0663", "99999999999999999999", "9" * 5000, "-1", "0", "1e3", " 1", "0x1"]
)
path_texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=20), weird_numbers, st.just("")
)


def level_strategy(level, film_id: int) -> st.SearchStrategy[str]:
    """A path segment for one level of a route: its converters filled with known ids, wild
    values and text; a regex route drawn from its own regex."""
    if isinstance(level, RegexPattern):
        return st.from_regex(level.regex, fullmatch=True).map(lambda s: quote(s.lstrip("^")))
    route = str(level)
    parts: list[st.SearchStrategy[str]] = []
    position = 0
    for match in CONVERTER.finditer(route):
        parts.append(st.just(route[position : match.start()]))
        kind = match["kind"] or "str"
        if kind == "int":
            value = st.one_of(
                st.just(film_id),
                st.integers(0, 10**6),
                st.integers(2**63 - 2, 10**25),
            ).map(str)
        elif kind == "slug":
            value = st.one_of(
                st.sampled_from(ROW_KINDS), st.from_regex(r"[-a-zA-Z0-9_]+", fullmatch=True)
            )
        else:
            value = st.one_of(st.just(str(film_id)), path_texts.filter(bool)).map(
                lambda s: quote(s, safe="")
            )
        parts.append(value)
        position = match.end()
    parts.append(st.just(route[position:]))
    return st.tuples(*parts).map("".join)


def plain_path(route: Route, film_id: int) -> str:
    """The route's path with a real film's id (and the genre row) in its converters."""
    values = {"int": str(film_id), "slug": "genre"}

    def fill(level) -> str:
        if isinstance(level, RegexPattern):
            return "movies/" if "app_label" in level.regex.pattern else ""
        return CONVERTER.sub(lambda m: values.get(m["kind"] or "str", str(film_id)), str(level))

    return "/" + "".join(fill(level) for level in route.levels)


def path_strategy(route: Route, film_id: int) -> st.SearchStrategy[str]:
    return st.tuples(*(level_strategy(level, film_id) for level in route.levels)).map(
        lambda parts: "/" + "".join(parts)
    )


def admin_filter_params() -> list[str]:
    """Every parameter an admin changelist reads: search, ordering, page, and each filter's."""
    from django.contrib import admin as django_admin

    names = {"q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters"}
    for model_admin in django_admin.site._registry.values():
        for entry in model_admin.list_filter:
            field = entry[0] if isinstance(entry, tuple) else entry
            if isinstance(field, str):
                names |= {f"{field}__exact", f"{field}__isnull", f"{field}__id__exact"}
                names |= {f"{field}__id__in", f"{field}__in", field}
            else:
                names.add(field.parameter_name)
    return sorted(names)


ROUTE_PARAMS = [*PARAMS, "film", "top_k", "value", "next", "token", *admin_filter_params()]
route_param_values = st.one_of(param_values, weird_numbers, st.sampled_from(["yes", "no", "like"]))
route_queries = st.lists(
    st.tuples(st.one_of(st.sampled_from(ROUTE_PARAMS), st.text(max_size=8)), route_param_values),
    max_size=5,
).map(urlencode)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_answers_any_path_and_parameters(films, client, admin_client, route):
    """No URL pattern answers a 500, whatever its path values and parameters."""
    film_id = films["Heat"].pk
    visitor = admin_client if route.staff_only else client
    methods = ["get"] if route.staff_only else ["get", "post"]

    @ROUTE_FUZZ
    @given(
        path=path_strategy(route, film_id),
        query=route_queries,
        method=st.sampled_from(methods),
        htmx=st.booleans(),
    )
    @example(path=None, query="film=²&genre=²", method="get", htmx=True)
    @example(path=None, query="genre=99999999999999999999&decade=²", method="get", htmx=False)
    @example(path=None, query="q=²&decade=99999999999999999999", method="get", htmx=False)
    def run(path, query, method, htmx):
        path = path or plain_path(route, film_id)
        headers = {"HX-Request": "true"} if htmx else {}
        if method == "post":
            response = visitor.post(path, data=dict(parse_qsl(query)), headers=headers)
        else:
            response = visitor.get(f"{path}?{query}", headers=headers)
        event(f"status {response.status_code}")
        ROUTE_CASES[str(route)] += 1
        assert response.status_code < 500, (method, path, query, response.content[:300])

    run()


def test_the_route_fuzzing_covers_every_kind_of_page():
    names = {route.name for route in ROUTES}
    expected = {
        "recommendations:search",
        "recommendations:movie",
        "recommendations:home_row",
        "viewers:reaction",
        "explain:why",
        "admin:movies_movie_changelist",
        "admin:movies_movie_change",
        "jobs:progress",
    }
    assert expected <= names
    assert len(ROUTES) > 90


@pytest.mark.parametrize(
    "url",
    [
        "/home/rows/because/?film=²",
        "/home/rows/genre/?genre=²",
        "/home/rows/genre/?genre=99999999999999999999",
        "/home/rows/because/?film=-3",
    ],
)
def test_home_rows_answer_a_bad_parameter_with_a_400(films, client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.content  # says which parameter


@pytest.mark.parametrize(
    "query",
    [
        "decade=²",
        "decade=99999999999999999999",
        "q=²",
        "q=themoviedb.org/movie/999999999999999999999999999",
        "q=" + "9" * 5000,
    ],
)
def test_the_film_changelist_answers_crafted_search_and_filters(films, admin_client, query):
    response = admin_client.get(f"/admin/movies/movie/?{query}")

    assert response.status_code in (200, 302), response.content[:300]


def test_an_empty_to_field_on_an_admin_page_is_no_500(films, admin_client):
    """Found by the route fuzzing: Django 5.2's admin looks up a field named ""."""
    url = f"/admin/movies/movie/{films['Heat'].pk}/change/?_to_field="

    response = admin_client.get(url)

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_film_add_page_ignores_initial_genres_that_are_not_ids(admin_client):
    """Found by the route fuzzing: ?genres=: on the add page was a 500."""
    for value in (":", "1,x", "99999999999999999999", "²"):
        response = admin_client.get("/admin/movies/movie/add/", {"genres": value})
        assert response.status_code == 200, value
