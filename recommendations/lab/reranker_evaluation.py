"""The reranker measured on labelled queries it did not train on: the first stages alone
("baseline") and each reranked variant, over the same candidates. Reranking reorders the
first `depth` candidates and leaves the rest where the first stages put them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from recommendations.lab.metrics import RankingMetrics, rank_of
from recommendations.lab.queries import LabelledQuery
from recommendations.lab.reranker_data import CandidateSource, candidates_many
from recommendations.rerank.base import Candidate


def rerank_order(candidates: list[Candidate], scores: Iterable[float], depth: int) -> list[int]:
    """Movie ids: the first `depth` candidates by score (stable), then the rest as they were."""
    head = candidates[:depth]
    scores = list(scores)
    order = sorted(range(len(head)), key=lambda i: -scores[i])
    return [head[i].movie_id for i in order] + [c.movie_id for c in candidates[depth:]]


# score(query, candidates) -> {variant name: one score per candidate}
VariantScorer = Callable[[str, list[Candidate]], dict[str, list[float]]]


def variant_ranks(
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    scorer: VariantScorer,
    *,
    depth: int,
    pool: int,
    on_query: Callable[[], None] | None = None,
) -> dict[str, list[int | None]]:
    """Each query's right-film rank (None: not in the pool) in the first stages alone
    ("baseline") and in each reranked variant, over the same candidates, in query order."""
    ranks: dict[str, list[int | None]] = {"baseline": []}
    pools = candidates_many(candidates_for, [q.text for q in queries], pool)
    for query, candidates in zip(queries, pools, strict=True):
        ranks["baseline"].append(rank_of(query.movie_id, [c.movie_id for c in candidates]))
        for variant, scores in scorer(query.text, candidates[:depth]).items():
            order = rerank_order(candidates, scores, depth)
            ranks.setdefault(variant, []).append(rank_of(query.movie_id, order))
        if on_query:
            on_query()
    return ranks


def summaries(ranks: dict[str, list[int | None]]) -> dict[str, dict[str, float]]:
    return {variant: RankingMetrics(r).summary() for variant, r in ranks.items()}


def evaluate(
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    scorer: VariantScorer,
    *,
    depth: int,
    pool: int,
    exclude_ids: set[str] = frozenset(),
    on_query: Callable[[], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Metrics of the first stages alone ("baseline") and of each reranked variant, in one run
    over the same candidates, on queries not in exclude_ids."""
    queries = [q for q in queries if q.id not in exclude_ids]
    ranks = variant_ranks(
        queries, candidates_for, scorer, depth=depth, pool=pool, on_query=on_query
    )
    return summaries(ranks)
