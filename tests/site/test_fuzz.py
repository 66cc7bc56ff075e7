"""Bad input never breaks the site: generated requests to the search page and the JSON API
are answered with 200 or a 400 saying what to fix (404 for an unknown film), never a 500."""

import json
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from recommendations.api import MAX_BODY_BYTES
from recommendations.forms import MAX_QUERY_CHARS

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
