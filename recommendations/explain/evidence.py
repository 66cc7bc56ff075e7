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
from recommendations.selectors import keywords_matching

if TYPE_CHECKING:
    from recommendations.selectors import SearchResult

logger = logging.getLogger(__name__)

EVIDENCE_SECONDS = 30 * 60


def _evidence_key(query: str) -> str:
    return f"explain-evidence:{hashlib.sha1(clean_text(query).encode()).hexdigest()}"


def evidence_remember(
    *,
    query: str,
    evidence_by_movie: dict[int, dict[str, Any]],
    query_vector: "np.ndarray | None" = None,
    query_tokens: "Iterable[str] | None" = None,
    merge: bool = True,
) -> None:
    """Called by the search request with each result's evidence (JSON-like values), the
    query's vector, which the panels would otherwise encode again, and the query's tokens
    (tokenize's), from which a panel finds the words of its film's keywords. One cache entry a
    query (each write costs the file cache a scan of its folder): a further page merges into
    it (merge), a first page starts it afresh, one write and no read."""
    key = _evidence_key(query)
    try:
        entry = (cache.get(key) if merge else None) or {"films": {}}
        entry["films"].update(evidence_by_movie)
        if query_vector is not None:
            entry["query_vector"] = np.asarray(query_vector, dtype=np.float32).tobytes()
        if query_tokens is not None:
            entry["query_tokens"] = sorted(query_tokens)
        cache.set(key, entry, EVIDENCE_SECONDS)
    except (RedisError, OSError) as error:
        logger.warning("evidence not kept, cache unavailable: %s", error)


def evidence_recall(*, query: str, movie_id: int) -> dict[str, Any] | None:
    try:
        entry = cache.get(_evidence_key(query))
    except (RedisError, OSError) as error:
        logger.warning("evidence not read, cache unavailable: %s", error)
        return None
    if not entry or movie_id not in entry["films"]:
        return None
    evidence = dict(entry["films"][movie_id])
    if "matched_fields" not in evidence:  # matched now, for this film only
        words = keywords_matching(movie_id, frozenset(entry.get("query_tokens") or ()))
        evidence["matched_fields"] = {"keywords": words} if words else {}
    if vector := entry.get("query_vector"):
        evidence["query_vector"] = np.frombuffer(vector, dtype=np.float32)
    return evidence


def search_evidence(results: "Iterable[SearchResult]") -> dict[int, dict[str, Any]]:
    """What the search pipeline knows about each result, in the shape explainers read: the
    stage scores, title and people matches. The query's words found in the film's keywords
    (all of `matched_fields` an explainer reads: explain.grounded) are matched by
    evidence_recall, for the one film a panel asks about, from the query's tokens the entry
    keeps: matching them for each film of each page was a third of this hand-off's CPU
    (docs/benchmarks.md, "round 6")."""
    return {result.movie.pk: _result_evidence(result) for result in results}


def _result_evidence(result: "SearchResult") -> dict[str, Any]:
    """A result's stage scores, and why exact first put it first where it did: its title (the
    query's, or the one a misspelled query is nearest to) or the people the query names; or,
    after the film a query names, that it is among the films most like it."""
    evidence: dict[str, Any] = {
        "stage_scores": {
            stage: score.score for stage, score in result.stages.items() if score.score is not None
        },
    }
    if result.title_match:
        evidence["title_match"] = True
    if result.people:
        evidence["people"] = result.people
    if result.like:  # one of the films most like the one (or the person's) the query names
        evidence["like"] = [result.like, result.reason]
        if result.like_person:
            evidence["like_person"] = result.like_person
    return evidence
