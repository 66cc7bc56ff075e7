"""Reads: a film's explanation for a query, from the cache or the configured explainer."""

import hashlib
import logging
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from langchain_core.runnables import Runnable, RunnableLambda
from redis.exceptions import RedisError

from movies.models import Movie
from recommendations import vector_store
from recommendations.explain import grounded
from recommendations.explain.facts import ExplainRequest, Explanation, FilmFacts, clean_text
from recommendations.explain.llm import LLMConfig, build_chain
from recommendations.lru import LRU
from recommendations.query_encoder import encode_queries
from recommendations.search.dense import live_model
from recsys_site.clients import spend

logger = logging.getLogger(__name__)

# An offline explanation given because the LLM failed is kept only briefly: the LLM's own
# explanation should replace it once the provider is back.
FALLBACK_CACHE_SECONDS = 60
_CACHE_ERRORS = (RedisError, OSError)


def facts_queryset() -> QuerySet[Movie]:
    return Movie.objects.prefetch_related("genres", "keywords", "credits__person")


@lru_cache(maxsize=4)
def get_explainer(config: LLMConfig) -> Runnable:
    """The explainer chain for a configuration, built once per process: dict(request=...) ->
    Explanation."""
    if not config.enabled:
        return RunnableLambda(lambda data: grounded.explain(data["request"]), name="grounded")
    return build_chain(config)


def explanation_cache_key(*, query: str, film: FilmFacts, version: str) -> str:
    digest = hashlib.sha1(f"{version}\n{film.fingerprint()}\n{query}".encode()).hexdigest()
    return f"explain:{film.movie_id}:{digest}"


# The sentence vectors of the films this process explained lately, by (model, film, sentences):
# a later panel for one of them reads no vector store (finding the live collection alone costs
# about 1 ms; docs/benchmarks.md, "The "why" panels beside the search"). A new text or a new
# model is a new key. 512 films of 16 sentences hold 12.6 MB.
RECENT_SENTENCE_FILMS = 512
recent_sentence_vectors: LRU[dict[str, np.ndarray]] = LRU(RECENT_SENTENCE_FILMS)


def _sentence_vectors(film: FilmFacts) -> dict[str, np.ndarray]:
    """The vectors of the film's sentences (the first RECSYS_INDEX_STORED_SENTENCES) kept in the
    index. A film is made searchable without them: those missing are encoded here, on its
    first explanation, and kept for the next. A vector store that is down only costs speed
    (the explainer encodes what it lacks)."""
    wanted = list(dict.fromkeys(film.sentences[: settings.RECSYS_INDEX_STORED_SENTENCES]))
    # The live index's model: the query these sentences are compared with is encoded by it.
    model = live_model()
    key = (model, film.movie_id, tuple(wanted))
    if (recent := recent_sentence_vectors.get(key)) is not None:
        return recent
    try:
        collection = vector_store.get_collection()
        stored = vector_store.sentence_vectors_of(film.movie_id, wanted, collection)
    except Exception as error:  # any vector-store failure only costs speed here
        logger.warning("stored sentence vectors unavailable: %s", error)
        return {}
    missing = [s for s in wanted if s not in stored]
    if missing:
        fresh = dict(zip(missing, encode_queries(missing, model=model), strict=True))
        try:
            vector_store.sentence_vectors_keep(film.movie_id, fresh, collection)
        except Exception as error:
            logger.warning("sentence vectors not kept: %s", error)
        stored = {**stored, **fresh}
    recent_sentence_vectors.put(key, stored)
    return stored


def llm_refusal(*, client: str, llm_allowed: bool = True) -> str:
    """Why this client may not cause an LLM call now ("" when it may). Each call counts one."""
    if not llm_allowed:
        return "a cross-site request does not reach the LLM"
    limit = settings.RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT
    try:
        over = bool(limit and client and spend(f"llm:{client}", 1) > limit)
    except _CACHE_ERRORS:
        over = False
    return f"this client's {limit} LLM explanations a minute are used up" if over else ""


def explanation_for(
    *,
    movie: Movie,
    query: str,
    evidence: dict[str, Any] | None = None,
    client: str = "",
    llm_allowed: bool = True,
) -> Explanation:
    """Why `movie` fits `query`. Cached per (query, film facts, explainer version); a cache
    that is down costs speed, not the answer. With an LLM configured, a client (its address or
    account) causes at most RECSYS_LLM_CALLS_PER_MINUTE_PER_CLIENT calls a minute (cached
    answers are free); past it, or where not llm_allowed, the offline explainer answers."""
    query = clean_text(query)
    film = FilmFacts.from_movie(movie)
    config = LLMConfig.from_settings()
    key = explanation_cache_key(query=query, film=film, version=config.version)
    try:
        cached = cache.get(key)
    except _CACHE_ERRORS as error:
        logger.warning("explanation cache unavailable: %s", error)
        cached = None
    if cached is not None:
        return Explanation.from_dict(cached)
    evidence = {**(evidence or {}), "sentence_vectors": _sentence_vectors(film)}
    request = ExplainRequest(query=query, film=film, evidence=evidence)
    refusal = llm_refusal(client=client, llm_allowed=llm_allowed) if config.enabled else ""
    if refusal:
        explanation = replace(grounded.explain(request), fallback_reason=refusal)
    else:
        explanation = get_explainer(config).invoke({"request": request})
    seconds = (
        FALLBACK_CACHE_SECONDS
        if explanation.fallback_reason
        else settings.RECSYS_EXPLAIN_CACHE_SECONDS
    )
    try:
        cache.set(key, explanation.to_dict(), seconds)
    except _CACHE_ERRORS as error:
        logger.warning("explanation cache unavailable: %s", error)
    return explanation
