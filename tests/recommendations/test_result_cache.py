"""Repeated searches are answered from the process's result cache
(recommendations/search/result_cache.py) until the catalogue, the index or an active model
changes; what a viewer did is drawn fresh on every page."""

import pytest
from django.urls import reverse

from movies.models import Movie
from recommendations import selectors
from recommendations.indexing import services
from recommendations.models import TrainedModel
from recommendations.search.result_cache import results
from recommendations.selectors import movie_search
from recommendations.trained_models import trained_model_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline_runs(monkeypatch):
    """How many searches ran the pipeline (the rest came from the cache)."""
    runs = []
    run = selectors.run_pipeline

    def counted(*args, **kwargs):
        runs.append(args[0])
        return run(*args, **kwargs)

    monkeypatch.setattr(selectors, "run_pipeline", counted)
    return runs


def top(response) -> str:
    return response.results[0].movie.title


def test_a_repeated_search_skips_the_pipeline(films, pipeline_runs):
    first = movie_search("a shark kills swimmers at the beach", top_k=5)
    again = movie_search("a shark  kills swimmers at the beach ", top_k=5)  # same words

    assert pipeline_runs == ["a shark kills swimmers at the beach"]
    assert [r.movie.pk for r in again.results] == [r.movie.pk for r in first.results]
    assert [r.score for r in again.results] == [r.score for r in first.results]
    assert top(again) == "Jaws" and results.hits == 1


def test_other_filters_and_pages_are_other_entries(films, pipeline_runs):
    from recommendations.search.catalogue import Filters

    movie_search("crime", top_k=3)
    movie_search("crime", top_k=3, offset=3)
    movie_search("crime", top_k=3, filters=Filters(kind="series"))
    movie_search("crime", top_k=3, offset=3)

    assert len(pipeline_runs) == 3 and results.hits == 1


def test_an_edited_film_is_never_served_from_before_the_edit(films, fresh_stamps, pipeline_runs):
    assert top(movie_search("a shark kills swimmers at the beach")) == "Jaws"
    jaws = Movie.objects.get(title="Jaws")
    jaws.title = "Jaws (restored)"
    jaws.save()

    assert top(movie_search("a shark kills swimmers at the beach")) == "Jaws (restored)"
    assert len(pipeline_runs) == 2


def test_a_reindex_drops_the_cached_results(films, fresh_stamps, pipeline_runs, run_inline):
    movie_search("a shark kills swimmers at the beach")
    movie_search("a shark kills swimmers at the beach")
    assert len(pipeline_runs) == 1

    run_inline(services.index_reembed, movie_ids=[Movie.objects.get(title="Jaws").pk])

    assert top(movie_search("a shark kills swimmers at the beach")) == "Jaws"
    assert len(pipeline_runs) == 2


def test_a_model_activation_drops_the_cached_results(films, pipeline_runs, settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path
    movie_search("a shark kills swimmers at the beach")
    movie_search("a shark kills swimmers at the beach")
    assert len(pipeline_runs) == 1

    # A version without its files: it serves nothing, but it is a change of the active models
    trained_model_register(
        kind=TrainedModel.Kind.RERANKER,
        version="new",
        path="reranker/new",
        config={},
        metrics={},
        data_hash="x",
        activate=True,
    )

    movie_search("a shark kills swimmers at the beach")
    assert len(pipeline_runs) == 2


def test_a_size_of_zero_keeps_nothing(films, pipeline_runs, settings):
    settings.RECSYS_SEARCH_CACHE_SIZE = 0
    movie_search("crime")
    movie_search("crime")
    assert len(pipeline_runs) == 2 and len(results) == 0


def test_a_cached_page_shows_each_viewers_own_buttons(films, client, django_user_model):
    from viewers.identity import Viewer
    from viewers.models import Reaction
    from viewers.services import reaction_toggle

    user = django_user_model.objects.create_user("ann", password="pw-long-enough-1")
    client.force_login(user)
    url = reverse("recommendations:search")
    query = {"q": "a shark kills swimmers at the beach"}
    jaws = Movie.objects.get(title="Jaws")
    before = client.get(url, query, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="movie-{jaws.pk}"' in before and "♥ Liked" not in before

    reaction_toggle(viewer=Viewer(user_id=user.pk), movie_id=jaws.pk, value=Reaction.Value.LIKE)
    after = client.get(url, query, HTTP_HX_REQUEST="true").content.decode()

    assert results.hits == 1
    card = after[after.index(f'id="movie-{jaws.pk}"') :]
    assert "♥ Liked" in card[: card.index("</article>")]


def test_the_why_panels_get_their_evidence_when_the_api_ranked_the_query_first(films, client):
    import json

    from recommendations.explain.evidence import evidence_recall

    query = "a shark kills swimmers at the beach"
    body = json.dumps({"query": query, "top_k": 20})
    client.post(reverse("recommendations:api-query"), body, content_type="application/json")
    jaws = Movie.objects.get(title="Jaws")
    assert evidence_recall(query=query, movie_id=jaws.pk) is None  # the API hands none over

    client.get(reverse("recommendations:search"), {"q": query}, HTTP_HX_REQUEST="true")
    client.get(reverse("recommendations:search"), {"q": query}, HTTP_HX_REQUEST="true")

    assert results.hits == 2
    evidence = evidence_recall(query=query, movie_id=jaws.pk)
    assert evidence is not None and "shark" in evidence["matched_fields"]["keywords"]


def test_the_dashboards_latency_counts_cache_hits_apart_from_its_percentiles(
    films, settings, admin_client
):
    from recommendations.latency import search_latency_flush, search_latency_percentiles
    from recommendations.models import SearchLatencyBatch

    settings.RECSYS_SEARCH_LATENCY_FLUSH_SECONDS = 3600
    search_latency_flush()  # what earlier searches in this process left
    SearchLatencyBatch.objects.all().delete()
    ran = movie_search("a shark kills swimmers at the beach", top_k=5)
    hits = [movie_search("a shark kills swimmers at the beach", top_k=5) for _ in range(3)]
    assert not ran.from_cache and all(hit.from_cache for hit in hits)
    assert search_latency_flush() == 4

    latency = search_latency_percentiles()
    assert latency["overall"]["count"] == 1 and latency["cache_hits"] == 3
    assert latency["overall"]["p50"] == round(ran.took_ms, 1)
    page = admin_client.get(reverse("admin:recommendations_dashboard")).content.decode()
    assert "1 search · p50" in page and "3 more answered from the result cache" in page


def test_films_shown_before_skip_the_cards_query_until_a_film_is_edited(
    films, fresh_stamps, django_assert_num_queries
):
    from recommendations.search.catalogue import get_snapshot
    from recommendations.selectors import film_cache

    stamp = get_snapshot().stamp
    jaws, heat = Movie.objects.get(title="Jaws"), Movie.objects.get(title="Heat")
    with django_assert_num_queries(1):
        first = film_cache.films(stamp, [jaws.pk])
    with django_assert_num_queries(1):  # only the film not read before
        second = film_cache.films(stamp, [heat.pk, jaws.pk])
    with django_assert_num_queries(0):
        third = film_cache.films(stamp, [jaws.pk, heat.pk])
    assert second[jaws.pk] is first[jaws.pk] and set(third) == {jaws.pk, heat.pk}
    assert third[heat.pk].title == "Heat" and third[heat.pk].synopsis == heat.synopsis

    jaws.title = "Jaws (restored)"
    jaws.save()  # a new snapshot stamp: every film is read again
    assert movie_search("a shark kills swimmers at the beach").results[0].movie.title == (
        "Jaws (restored)"
    )
    again = film_cache.films(get_snapshot().stamp, [heat.pk])
    assert again[heat.pk] is not third[heat.pk]  # read again (by that search's cards)


def test_without_a_film_cache_every_search_reads_its_films(films, settings):
    from recommendations.search.catalogue import get_snapshot
    from recommendations.selectors import film_cache

    settings.RECSYS_FILM_CACHE_SIZE = 0
    jaws = Movie.objects.get(title="Jaws")
    film_cache.films(get_snapshot().stamp, [jaws.pk])
    assert film_cache.films(get_snapshot().stamp, [jaws.pk])[jaws.pk] is not None
    assert not film_cache._films
