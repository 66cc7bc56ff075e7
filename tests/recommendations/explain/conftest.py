"""Fixtures for the "why this?" explainer: a real Redis cache (database 4), a film with every
kind of fact, the LLM test double, headless Chromium, and the TMDB stand-in top 10."""

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
def tmdb_dense_top10_stand_in(shared_data: Path) -> list[tuple[str, list[FilmFacts]]]:
    """STAND-IN (swap at merge for the TMDB importer + the search pipeline): the first 50 dev
    queries, each with its top 10 of TMDB 5000 by plain dense retrieval."""
    from bench.tmdb_stand_in import dense_top_k, film_vectors, load_dev_queries, load_tmdb_films
    from recommendations.search import dense

    films = load_tmdb_films(shared_data)
    queries = load_dev_queries(shared_data, limit=50)
    top = dense_top_k(films, film_vectors(films), queries, k=10)
    dense.clear_query_cache()
    grounded.sentence_vectors.clear()
    return list(zip(queries, top, strict=True))
