"""Known-item ranking metrics and the held-out split.

Each query has one right film. Reranking reorders the first `depth` candidates and leaves the
rest where the first stages put them. A model's own training queries are never scored: the
split is by query id (a salted hash, so it is the same on every machine and for every
catalogue), and an artifact records the ids it trained on (`training_query_ids`), which any
evaluation must exclude.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from recommendations.rerank.base import Candidate
from recommendations.rerank.data import CandidateSource, LabelledQuery, candidates_many

SPLIT_SALT = "rerank-split-v1"
CUTOFF = 10


def is_validation_query(query_id: str, *, fraction: float, salt: str = SPLIT_SALT) -> bool:
    digest = hashlib.sha1(f"{salt}:{query_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000 < fraction


def split_by_query(
    queries: list[LabelledQuery], *, validation_fraction: float, salt: str = SPLIT_SALT
) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """(kept, split off): another salt splits a set independently of the held-out split."""
    picked = [is_validation_query(q.id, fraction=validation_fraction, salt=salt) for q in queries]
    kept = [q for q, off in zip(queries, picked, strict=True) if not off]
    split_off = [q for q, off in zip(queries, picked, strict=True) if off]
    return kept, split_off


def rank_of(movie_id: int, ranked_ids: list[int]) -> int | None:
    """1-based rank, None when absent."""
    try:
        return ranked_ids.index(movie_id) + 1
    except ValueError:
        return None


@dataclass
class RankingMetrics:
    ranks: list[int | None]

    def ndcg(self, k: int = CUTOFF) -> float:
        gains = [1 / math.log2(r + 1) if r and r <= k else 0.0 for r in self.ranks]
        return float(np.mean(gains)) if gains else 0.0

    def mrr(self, k: int = CUTOFF) -> float:
        values = [1 / r if r and r <= k else 0.0 for r in self.ranks]
        return float(np.mean(values)) if values else 0.0

    def recall(self, k: int) -> float:
        values = [1.0 if r and r <= k else 0.0 for r in self.ranks]
        return float(np.mean(values)) if values else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "ndcg@10": round(self.ndcg(10), 4),
            "mrr@10": round(self.mrr(10), 4),
            "recall@1": round(self.recall(1), 4),
            "recall@10": round(self.recall(10), 4),
            "queries": len(self.ranks),
        }


def rerank_order(candidates: list[Candidate], scores: Iterable[float], depth: int) -> list[int]:
    """Movie ids: the first `depth` candidates by score (stable), then the rest as they were."""
    head = candidates[:depth]
    scores = list(scores)
    order = sorted(range(len(head)), key=lambda i: -scores[i])
    return [head[i].movie_id for i in order] + [c.movie_id for c in candidates[depth:]]


# score(query, candidates) -> {variant name: one score per candidate}
VariantScorer = Callable[[str, list[Candidate]], dict[str, list[float]]]


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
    ranks: dict[str, list[int | None]] = {"baseline": []}
    queries = [q for q in queries if q.id not in exclude_ids]
    pools = candidates_many(candidates_for, [q.text for q in queries], pool)
    for query, candidates in zip(queries, pools, strict=True):
        ranks["baseline"].append(rank_of(query.movie_id, [c.movie_id for c in candidates]))
        for variant, scores in scorer(query.text, candidates[:depth]).items():
            order = rerank_order(candidates, scores, depth)
            ranks.setdefault(variant, []).append(rank_of(query.movie_id, order))
        if on_query:
            on_query()
    return {variant: RankingMetrics(r).summary() for variant, r in ranks.items()}
