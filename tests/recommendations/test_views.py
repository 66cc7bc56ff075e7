"""The search page, the movie page and their no-JavaScript paths (Django test client)."""

import pytest
from django.urls import reverse

from recommendations import vector_store
from recommendations.explain.facts import FilmFacts
from recommendations.explain.selectors import facts_queryset

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_plain_get_renders_the_whole_page_with_results(client, films):
    response = client.get(reverse("recommendations:search"), {"q": "shark at the beach"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'name="q"' in html
    assert html.index("Jaws") < html.index("Finding Nemo") if "Finding Nemo" in html else True
    assert f'href="/movies/{films["Jaws"].pk}/"' in html


def test_an_htmx_request_gets_only_the_results_partial(client, films):
    response = client.get(reverse("recommendations:search"), {"q": "shark at the beach"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'name="q"' not in html
    assert "Jaws" in html
    assert 'class="card"' in html


def test_more_results_appends_the_next_page(client, films):
    first = client.get("/", {"q": "a film", "genre": "Drama"}, **HTMX).content.decode()
    assert "More results" not in first  # 9 dramas fit on one page of 20
    page = client.get("/", {"q": "a story", "offset": "3", "genre": "Drama"}, **HTMX)
    html = page.content.decode()
    assert 'class="summary"' not in html  # cards only, to append
    assert html.count('class="card"') == 9 - 3


def test_filters_from_the_form_apply(client, films):
    html = client.get("/", {"q": "crime", "kind": "series"}).content.decode()
    assert "Breaking Bad" in html and "The Godfather" not in html
    html = client.get("/", {"q": "family", "decade": "1990"}).content.decode()
    assert "Home Alone" in html and "Finding Nemo" not in html


def test_empty_no_result_and_invalid_states(client, films):
    assert "What are you in the mood for?" in client.get("/").content.decode()
    html = client.get("/", {"q": "anything", "genre": "Music", "kind": "series"}).content.decode()
    assert "No films match" in html
    html = client.get("/", {"q": "x", "year_from": "20015"}).content.decode()
    assert "could not be read" in html


def test_every_card_leaves_the_why_this_slot(client, films, settings):
    html = client.get("/", {"q": "heist"}).content.decode()
    assert html.count('lazy "Why this?" panel') == 0  # the slot is a template comment
    from django.template.loader import get_template

    assert get_template("recommendations/_why_slot.html")


def test_the_movie_page_shows_details_credits_and_more_like_this(client, films):
    movie = films["The Martian"]
    html = client.get(reverse("recommendations:movie", args=[movie.pk])).content.decode()
    assert "The Martian" in html and "Matt Damon" in html and "Ridley Scott" in html
    assert "More like this" in html
    similar = html.split("More like this", 1)[1]
    assert "Gravity" in similar
    assert f"/movies/{movie.pk}/" not in similar
    assert client.get(reverse("recommendations:movie", args=[999999])).status_code == 404


def test_without_chroma_the_page_shows_word_matches_and_a_notice(client, films, settings):
    from tests.recommendations.conftest import reset_search_caches

    settings.RECSYS_CHROMA_URL = "http://127.0.0.1:9"
    reset_search_caches()
    try:
        response = client.get("/", {"q": "shark beach"})
        movie_page = client.get(f"/movies/{films['Jaws'].pk}/")
    finally:
        settings.RECSYS_CHROMA_URL = ""
        reset_search_caches()
    html = response.content.decode()
    assert response.status_code == 200
    assert "Jaws" in html and "match your words only" in html
    assert movie_page.status_code == 200
    assert "match your words only" in movie_page.content.decode()


def test_a_search_hands_its_evidence_to_the_why_panels(client, films):
    from recommendations.explain.evidence import evidence_recall

    client.get("/", {"q": "shark at the beach"}, **HTMX)
    evidence = evidence_recall(query="shark at the beach", movie_id=films["Jaws"].pk)
    assert evidence is not None
    assert {"dense", "lexical", "fused"} <= set(evidence["stage_scores"])
    assert "shark" in {word for words in evidence["matched_fields"].values() for word in words}


def test_each_why_panel_gets_the_keywords_its_card_matched(client, films):
    """The hand-off keeps the query's tokens once; a panel's film is matched on reading: the
    same words as the search's own result, for every film of the page; none for a film not in
    the catalogue."""
    from django.core.cache import cache

    from recommendations.explain.evidence import _evidence_key, evidence_recall
    from recommendations.forms import PAGE_SIZE
    from recommendations.selectors import keywords_matching, movie_search

    query = "a shark attacks swimmers at the beach"
    client.get("/", {"q": query}, **HTMX)
    results = movie_search(query, top_k=PAGE_SIZE).results
    assert any(r.matched_in("keywords") for r in results)
    for result in results:
        evidence = evidence_recall(query=query, movie_id=result.movie.pk)
        words = result.matched_in("keywords")
        assert evidence["matched_fields"] == ({"keywords": words} if words else {})
    jaws = films["Jaws"].pk
    assert "matched_fields" not in cache.get(_evidence_key(query))["films"][jaws]
    assert "shark" in evidence_recall(query=query, movie_id=jaws)["matched_fields"]["keywords"]
    assert keywords_matching(jaws, frozenset({"shark"})) == ["shark"]
    assert keywords_matching(max(f.pk for f in films.values()) + 1, frozenset({"shark"})) == []


def test_the_empty_search_page_loads_the_home_rows(client, films):
    html = client.get("/").content.decode()
    assert 'hx-get="/home/rows/"' in html and 'hx-trigger="load"' in html


def test_a_film_s_sentences_are_encoded_on_its_first_why_panel_and_kept(client, films, monkeypatch):
    """Indexing leaves the quotable sentences out (a film is searchable sooner); the first
    panel encodes them and keeps them in the index. After a later search, which hands its
    query vector over, the panel only reads: no model call in its request."""
    from recommendations import embedding
    from recommendations.explain import grounded, selectors
    from recommendations.search import dense

    why = reverse("explain:why", args=[films["Jaws"].pk])
    first = "a great white shark terrorises a beach town"
    assert "Jaws" in client.get("/", {"q": first}, **HTMX).content.decode()
    assert "why--loaded" in client.get(why, {"q": first}, **HTMX).content.decode()
    sentences = FilmFacts.from_movie(facts_queryset().get(pk=films["Jaws"].pk)).sentences
    assert vector_store.sentence_vectors_of(films["Jaws"].pk, sentences)

    query = "police chief hunts a shark that eats swimmers"
    assert "Jaws" in client.get("/", {"q": query}, **HTMX).content.decode()
    dense.clear_query_cache()
    grounded.sentence_vectors.clear()

    def no_encoding(texts, **kwargs):
        raise AssertionError(f"encoded {texts!r} in the panel's request")

    monkeypatch.setattr(embedding, "encode", no_encoding)
    monkeypatch.setattr(selectors, "encode_queries", no_encoding)
    panel = client.get(why, {"q": query}, **HTMX).content.decode()
    assert "why--loaded" in panel and "shark" in panel.lower()


def test_a_misspelled_title_offers_did_you_mean_with_the_filters_kept(client, films):
    html = client.get("/", {"q": "godfahter", "kind": "film"}, **HTMX).content.decode()
    assert "Did you mean" in html
    assert 'href="/?q=The+Godfather&amp;kind=film"' in html or (
        'href="/?kind=film&amp;q=The+Godfather"' in html
    )
    first_card = html.index('id="movie-')
    assert html.index("Did you mean") < first_card
    assert html.startswith(f'id="movie-{films["The Godfather"].pk}"', first_card)
    corrected = client.get("/", {"q": "The Godfather"}, **HTMX).content.decode()
    assert "Did you mean" not in corrected


def test_the_summary_tells_best_matches_from_loosely_related_ones(client, films):
    html = client.get("/", {"q": "a shark kills swimmers at the beach"}, **HTMX).content.decode()
    assert "best match" in html and "more loosely related" in html
    assert " films for " not in html
    assert html.count('class="group-heading"') == 1
    assert html.index("Jaws") < html.index('class="group-heading"')

    nonsense = client.get("/", {"q": "qwzx blorf vrrt"}, **HTMX).content.decode()
    assert "No close match for “qwzx blorf vrrt”" in nonsense
    assert 'class="group-heading"' not in nonsense
