import json

import pytest

from recommendations.api import MAX_BODY_BYTES

pytestmark = pytest.mark.django_db
URL = "/api/recommend/query"


def post(client, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_a_query_returns_ranked_films_with_scores(client, films):
    response = post(client, {"query": "astronaut stranded on mars", "top_k": 3})
    assert response.status_code == 200
    data = response.json()
    assert data["results"][0]["title"] == "The Martian"
    assert len(data["results"]) == 3
    first = data["results"][0]
    assert first["rank"] == 1 and isinstance(first["score"], float)
    assert set(first["stages"]) == {"dense", "lexical", "fused", "reranked"}


def test_a_misspelled_title_says_the_correction_and_the_strong_matches(client, films):
    data = post(client, {"query": "godfahter", "top_k": 5}).json()
    assert data["results"][0]["title"] == "The Godfather"
    assert data["suggestion"] == "The Godfather"
    assert data["strong"] >= 1 and data["results"][0]["strong"] is True
    assert post(client, {"query": "the godfather"}).json()["suggestion"] == ""
    # After the title, the films most like it, each saying what it shares with it
    assert data["like_title"] == "The Godfather"
    assert "like" not in data["results"][0]
    assert all(r["like"] == "The Godfather" and r["reason"] for r in data["results"][1:])
    assert post(client, {"query": "astronaut stranded on mars"}).json()["like_title"] == ""


def test_filters_apply(client, films):
    data = post(
        client, {"query": "crime", "filters": {"kind": "series", "genres": ["Crime"]}}
    ).json()
    assert [r["title"] for r in data["results"]] == ["Breaking Bad"]


def test_the_api_needs_no_csrf_token(films):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), {"query": "shark"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": ""}, "query is empty"),
        ({"query": "   "}, "query is empty"),
        ({}, "query must be a string"),
        ({"query": 12}, "query must be a string"),
        ("{not json", "malformed JSON"),
        (b"\xff\xfe", "malformed JSON"),
        ("[1, 2]", "JSON object"),
        ({"query": "x", "top_k": 0}, "top_k must be from 1 to 100"),
        ({"query": "x", "top_k": 1000}, "top_k must be from 1 to 100"),
        ({"query": "x", "top_k": "5"}, "top_k must be an integer"),
        ({"query": "x", "top_k": True}, "top_k must be an integer"),
        ({"query": "x", "filters": []}, "filters must be an object"),
        ({"query": "x", "filters": {"kind": "opera"}}, "filters.kind must be one of"),
        ({"query": "x", "filters": {"year_from": 2010, "year_to": 2000}}, "after"),
        ({"query": "x", "filters": {"colour": "red"}}, "unknown filters: colour"),
        ({"query": "x" * 20_001}, "query too long"),
    ],
)
def test_bad_requests_get_a_400_with_a_message(client, films, body, message):
    response = post(client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_an_oversized_body_is_a_400(client, films):
    response = post(client, {"query": "shark", "padding": "x" * MAX_BODY_BYTES})
    assert response.status_code == 400
    assert "too large" in response.json()["error"]


def test_a_ten_thousand_character_query_still_returns_results(client, films):
    query = ("I remember a summer film with a beach and a huge shark. " * 200)[:10_000]
    response = post(client, {"query": query, "top_k": 5})
    assert response.status_code == 200
    assert "Jaws" in [r["title"] for r in response.json()["results"]]


def test_get_is_not_allowed(client, films):
    assert client.get(URL).status_code == 405


def test_similar_films(client, films):
    response = client.get(f"/api/movies/{films['Gravity'].pk}/similar", {"top_k": 4})
    assert response.status_code == 200
    data = response.json()
    titles = [r["title"] for r in data["results"]]
    assert len(titles) == 4 and "Gravity" not in titles and "The Martian" in titles
    assert client.get(f"/api/movies/{films['Gravity'].pk}/similar?top_k=0").status_code == 400
    assert client.get(f"/api/movies/{films['Gravity'].pk}/similar?top_k=a").status_code == 400
    assert client.get("/api/movies/999999/similar").status_code == 404
