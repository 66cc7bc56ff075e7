"""The panel endpoint (htmx partial or full page), the JSON API, the lazy slot, the cache."""

import socket

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from recommendations.explain import grounded
from recommendations.explain.evidence import evidence_remember
from recommendations.forms import MAX_QUERY_CHARS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_cache")]

QUERY = "an angry soldier who fails the police psych test & drives to Mexico"
HTMX = {"HX-Request": "true"}


def why_url(movie_id: int) -> str:
    return reverse("explain:why", args=[movie_id])


def api_url(movie_id: int) -> str:
    return reverse("explain:api", args=[movie_id])


def test_panel_is_a_partial_for_htmx(client, heist_movie):
    response = client.get(why_url(heist_movie.pk), {"q": QUERY}, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'class="why why--loaded" data-why-movie="{heist_movie.pk}"' in html
    assert "psychological evaluation" in html
    assert "From the film's own data" in html


def test_panel_without_htmx_is_a_full_page(client, heist_movie):
    response = client.get(why_url(heist_movie.pk), {"q": QUERY})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "<h1>Harsh Times (2005)</h1>" in html
    assert "psychological evaluation" in html


@pytest.mark.parametrize("params", [{}, {"q": "   "}, {"q": "x" * (MAX_QUERY_CHARS + 1)}])
def test_panel_without_a_usable_query_is_a_clear_400(client, heist_movie, params):
    response = client.get(why_url(heist_movie.pk), params, headers=HTMX)
    assert response.status_code == 400
    assert "(the q parameter)" in response.content.decode() or "longer than" in (
        response.content.decode()
    )


def test_panel_answers_for_the_longest_query_the_search_box_takes(client, heist_movie):
    story = "I remember it only vaguely, it was late and I was tired. " * 400
    query = (QUERY + " " + story)[:MAX_QUERY_CHARS]
    assert len(query) == MAX_QUERY_CHARS == 20_000
    response = client.get(why_url(heist_movie.pk), {"q": query}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="why__text"' in html and "Its story" in html and "No explanation" not in html
    too_long = client.get(why_url(heist_movie.pk), {"q": query + "x"}, headers=HTMX)
    assert too_long.status_code == 400 and "20,000 characters" in too_long.content.decode()


def test_panel_speaks_plainly_and_shows_figures_to_staff_only(client, admin_client, heist_movie):
    evidence_remember(
        query=QUERY,
        evidence_by_movie={heist_movie.pk: {"stage_scores": {"dense": 0.43, "fused": 4.89}}},
    )
    viewer = client.get(why_url(heist_movie.pk), {"q": QUERY}, headers=HTMX).content.decode()
    assert "psychological evaluation" in viewer
    assert "why__signal" not in viewer and "0.43" not in viewer and "fused" not in viewer
    staff = admin_client.get(why_url(heist_movie.pk), {"q": QUERY}, headers=HTMX)
    html = staff.content.decode()
    assert '<details class="why__figures">' in html
    assert "dense 0.43" in html and "fused 4.89" in html


def test_panel_for_an_unknown_film_is_404(client, db):
    assert client.get(why_url(999_999), {"q": QUERY}).status_code == 404


def test_api_returns_the_same_explanation_as_json(client, heist_movie):
    panel = client.get(why_url(heist_movie.pk), {"q": QUERY}, headers=HTMX).content.decode()
    response = client.get(api_url(heist_movie.pk), {"q": QUERY})

    assert response.status_code == 200
    data = response.json()
    assert data["movie_id"] == heist_movie.pk and data["title"] == "Harsh Times"
    assert data["source"] == "grounded" and data["query"] == QUERY
    assert data["reasons"][0]["kind"] == "synopsis"
    assert escape(data["text"]) in panel


def test_api_errors(client, heist_movie):
    missing = client.get(api_url(heist_movie.pk))
    assert missing.status_code == 400 and "q parameter" in missing.json()["error"]
    unknown = client.get(api_url(999_999), {"q": QUERY})
    assert unknown.status_code == 404 and unknown.json() == {"error": "No film with id 999999."}


def test_explanations_are_cached_per_query_and_film_facts(client, heist_movie, monkeypatch):
    calls = []
    real_explain = grounded.explain
    monkeypatch.setattr(grounded, "explain", lambda req: calls.append(req) or real_explain(req))

    first = client.get(api_url(heist_movie.pk), {"q": QUERY}).json()
    second = client.get(api_url(heist_movie.pk), {"q": QUERY}).json()
    assert first == second and len(calls) == 1

    client.get(api_url(heist_movie.pk), {"q": "a different question"})
    assert len(calls) == 2

    heist_movie.synopsis = "A quiet man keeps bees in the hills above the town."
    heist_movie.save()
    edited = client.get(api_url(heist_movie.pk), {"q": QUERY}).json()
    assert len(calls) == 3
    assert edited["text"] != first["text"] and "psychological" not in edited["text"]


def test_a_cache_that_is_down_costs_speed_not_the_answer(client, heist_movie, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/4",
        }
    }
    response = client.get(api_url(heist_movie.pk), {"q": QUERY})
    assert response.status_code == 200 and "psychological evaluation" in response.json()["text"]


def test_pipeline_evidence_reaches_the_panel(client, heist_movie):
    evidence_remember(
        query=QUERY, evidence_by_movie={heist_movie.pk: {"stage_scores": {"dense": 0.5}}}
    )
    data = client.get(api_url(heist_movie.pk), {"q": QUERY}).json()
    assert data["signals"]["dense"] == 0.5


def test_model_output_is_escaped_in_the_panel(client, heist_movie, llm_via_fake_openai):
    llm_via_fake_openai.behaviour.reply = (
        'It says "Trust no one." <script>alert(1)</script><img src=x onerror=alert(2)>'
    )
    html = client.get(why_url(heist_movie.pk), {"q": QUERY}, headers=HTMX).content.decode()

    assert 'data-why-source="openai:fake-model"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>" not in html and "<img" not in html


def test_slot_loads_lazily_when_revealed(heist_movie):
    html = render_to_string(
        "recommendations/_why_slot.html", {"movie": heist_movie, "query": 'a "cop" & <b>'}
    )
    expected_url = f"{why_url(heist_movie.pk)}?q=a%20%22cop%22%20%26%20%3Cb%3E"
    assert f'hx-get="{expected_url}"' in html
    assert 'hx-trigger="revealed"' in html and 'hx-swap="outerHTML"' in html
    assert "why--loading" in html and "Finding what fits" in html
    assert "<b>" not in html


def test_slot_is_empty_without_a_query(heist_movie):
    html = render_to_string("recommendations/_why_slot.html", {"movie": heist_movie, "query": ""})
    assert html.strip() == ""


def test_one_client_causes_a_bounded_number_of_llm_calls_with_distinct_queries(
    client, heist_movie, llm_via_fake_openai, settings, one_fixed_minute
):
    settings.RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT = 3
    llm_via_fake_openai.behaviour.reply = "It is a crime film set partly in Mexico."

    sources = [
        client.get(api_url(heist_movie.pk), {"q": f"{QUERY} {n}"}).json()["source"]
        for n in range(6)
    ]

    assert sources == ["openai:fake-model"] * 3 + ["grounded"] * 3
    assert len(llm_via_fake_openai.requests) == 3
    again = client.get(api_url(heist_movie.pk), {"q": f"{QUERY} 0"}).json()
    assert again["source"] == "openai:fake-model"  # a cached answer costs no call
    assert len(llm_via_fake_openai.requests) == 3


def test_a_cross_site_request_never_reaches_the_llm_and_the_panel_cannot_be_framed(
    client, heist_movie, llm_via_fake_openai
):
    response = client.get(
        why_url(heist_movie.pk), {"q": QUERY}, headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert response.status_code == 200
    assert llm_via_fake_openai.requests == []
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_first_page_starts_the_evidence_afresh_and_a_further_page_adds_to_it(db):
    from recommendations.explain.evidence import evidence_recall

    evidence_remember(query=QUERY, evidence_by_movie={1: {"stage_scores": {"dense": 0.1}}})
    evidence_remember(query=QUERY, evidence_by_movie={2: {"stage_scores": {"dense": 0.2}}})
    evidence_remember(
        query=QUERY, evidence_by_movie={3: {"stage_scores": {"dense": 0.3}}}, merge=False
    )
    evidence_remember(query=QUERY, evidence_by_movie={4: {"stage_scores": {"dense": 0.4}}})

    kept = [evidence_recall(query=QUERY, movie_id=pk) is not None for pk in (1, 2, 3, 4)]
    assert kept == [False, False, True, True]
