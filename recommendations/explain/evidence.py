"""The hand-off of pipeline evidence to the lazy panel: the search request knows why each film
ranked (stage scores, matched fields, nearest sentences, the query vector); the panel's own
request, a moment later, reads it back. Best effort: without it the explainer computes what it
needs itself."""

import hashlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.cache import cache
from redis.exceptions import RedisError

from recommendations.explain.facts import clean_text

if TYPE_CHECKING:
    from recommendations.selectors import SearchResult

logger = logging.getLogger(__name__)

EVIDENCE_SECONDS = 30 * 60


def _evidence_key(query: str, movie_id: int) -> str:
    return f"explain-evidence:{movie_id}:{hashlib.sha1(clean_text(query).encode()).hexdigest()}"


def _query_vector_key(query: str) -> str:
    return f"explain-query-vector:{hashlib.sha1(clean_text(query).encode()).hexdigest()}"


def evidence_remember(
    *,
    query: str,
    evidence_by_movie: dict[int, dict[str, Any]],
    query_vector: "np.ndarray | None" = None,
) -> None:
    """Called by the search pipeline with each result's evidence (JSON-like values) and the
    query's vector, which the panels would otherwise encode again."""
    entries: dict[str, Any] = {
        _evidence_key(query, mid): ev for mid, ev in evidence_by_movie.items()
    }
    if query_vector is not None:
        entries[_query_vector_key(query)] = np.asarray(query_vector, dtype=np.float32).tobytes()
    try:
        cache.set_many(entries, EVIDENCE_SECONDS)
    except (RedisError, OSError) as error:
        logger.warning("evidence not kept, cache unavailable: %s", error)


def evidence_recall(*, query: str, movie_id: int) -> dict[str, Any] | None:
    try:
        found = cache.get_many([_evidence_key(query, movie_id), _query_vector_key(query)])
    except (RedisError, OSError) as error:
        logger.warning("evidence not read, cache unavailable: %s", error)
        return None
    evidence = found.get(_evidence_key(query, movie_id))
    vector = found.get(_query_vector_key(query))
    if evidence is not None and vector is not None:
        evidence = {**evidence, "query_vector": np.frombuffer(vector, dtype=np.float32)}
    return evidence


def search_evidence(results: "Iterable[SearchResult]") -> dict[int, dict[str, Any]]:
    """What the search pipeline knows about each result, in the shape explainers read."""
    return {
        result.movie.pk: {
            "stage_scores": {
                stage: score.score
                for stage, score in result.stages.items()
                if score.score is not None
            },
            "matched_fields": result.matched,
        }
        for result in results
    }
