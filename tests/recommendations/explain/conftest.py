"""Fixtures for the "why this?" explainer: a real Redis cache (database 4), a film with every
kind of fact, the LLM test double, headless Chromium, and search's top 10 over TMDB 5000."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from recommendations.explain import grounded
from recommendations.explain.facts import FilmFacts
from recommendations.explain.llm import provider_health
from tests.conftest import chromium_driver
from tests.factories import CreditFactory, GenreFactory, KeywordFactory, MovieFactory
from tests.recommendations.explain.fake_openai_server import FakeOpenAIServer

REDIS_TEST_URL = "redis://127.0.0.1:6379/4"


@pytest.fixture
def redis_cache(settings) -> Iterator[None]:
    """Django's cache on the real Redis (this area's database 4), under a prefix of its own."""
    prefix = f"test-explain-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    _delete_prefixed(prefix)


def redis_client() -> "redis.Redis":
    return redis.Redis.from_url(REDIS_TEST_URL)


def _delete_prefixed(prefix: str) -> None:
    client = redis_client()
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_explainer_state() -> Iterator[None]:
    provider_health.reset()
    yield
    provider_health.reset()


@pytest.fixture
def heist_movie(db):
    """A film with a synopsis, tagline, genres, keywords and credits."""
    movie = MovieFactory(
        title="Harsh Times",
        year=2005,
        tagline="Trust no one.",
        synopsis=(
            "Jim Davis, an ex-Army Ranger who served in the Gulf war, has a violent temper. "
            "He hopes to join the LAPD, but he fails the psychological evaluation. "
            "Together with his friend Mike he drives across the border to Mexico to see his "
            "girlfriend."
        ),
        countries=["United States of America"],
        languages=["English", "Español"],
    )
    movie.genres.add(GenreFactory(name="Crime"), GenreFactory(name="Thriller"))
    movie.keywords.add(KeywordFactory(name="lie detector"), KeywordFactory(name="drug test"))
    CreditFactory(movie=movie, role="director", person__name="David Ayer")
    CreditFactory(movie=movie, role="cast", person__name="Christian Bale", order=0)
    CreditFactory(movie=movie, role="cast", person__name="Freddy Rodriguez", order=1)
    return movie


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_via_fake_openai(settings, fake_openai) -> FakeOpenAIServer:
    """Settings that point the explainer at the OpenAI-compatible test double."""
    settings.RECSYS_LLM_PROVIDER = "openai"
    settings.RECSYS_LLM_BASE_URL = fake_openai.base_url
    settings.RECSYS_LLM_MODEL = "fake-model"
    settings.RECSYS_LLM_API_KEY = ""
    settings.RECSYS_LLM_TIMEOUT = 1.0
    settings.RECSYS_LLM_REST_AFTER_FAILURE = 30.0
    return fake_openai


@pytest.fixture(scope="session")
def chromium() -> Iterator["object"]:
    with chromium_driver(window_size="1024,768") as driver:
        yield driver


@pytest.fixture(scope="module")
def tmdb_top10(
    shared_data: Path, django_db_setup, django_db_blocker, chroma_dir
) -> Iterator[list[tuple[str, list[FilmFacts]]]]:
    """The first 50 TOMT dev queries, each with the top 10 that search returns over TMDB 5000
    imported by movies_import (not embedded: the lexical side ranks, as right after an import)."""
    from movies.models import Genre, Keyword, Movie, Person
    from movies.services import movies_import
    from recommendations.explain.selectors import facts_queryset
    from recommendations.search import dense
    from recommendations.selectors import movie_search
    from tests.recommendations.conftest import reset_search_caches

    with open(shared_data / "queries" / "tomt-dev.jsonl", encoding="utf-8") as handle:
        queries = [json.loads(line)["query"] for line, _ in zip(handle, range(50), strict=False)]
    with django_db_blocker.unblock():
        movies_import(format="tmdb", paths=[shared_data / "catalogues" / "tmdb_5000_movies.csv"])
        reset_search_caches()
        top = []
        for query in queries:
            ids = [r.movie.pk for r in movie_search(query, top_k=10).results]
            films = facts_queryset().in_bulk(ids)
            top.append([FilmFacts.from_movie(films[pk]) for pk in ids])
        dense.clear_query_cache()
        grounded.sentence_vectors.clear()
        yield list(zip(queries, top, strict=True))
        for model in (Movie, Person, Genre, Keyword):
            model.objects.all().delete()
    reset_search_caches()
