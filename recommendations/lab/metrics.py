"""Ranking metrics, one implementation each: nDCG, MRR and recall at a cut-off, for a ranking
against a set of relevant items (the recommenders) or one right answer (known-item search,
the reranker), where they reduce to functions of the answer's rank."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

CUTOFF = 10


def discount(rank: int) -> float:
    """The gain of a hit at this 1-based rank."""
    return 1.0 / math.log2(rank + 1)


def ndcg_at_k(ranked: list[int], relevant: set[int], k: int = CUTOFF) -> float:
    dcg = sum(discount(rank) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(discount(rank) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def graded_ndcg(
    ranked_grades: Sequence[int], judged_grades: Iterable[int], k: int = CUTOFF
) -> float:
    """nDCG@k with gain 2^grade - 1 and discount log2(rank + 1): `ranked_grades` are the
    grades of the ranking's films in order (0 for unjudged ones), `judged_grades` those of
    every judged film the catalogue holds, whose best order is the ideal."""
    ideal = _dcg(sorted(judged_grades, reverse=True)[:k])
    return _dcg(list(ranked_grades)[:k]) / ideal if ideal else 0.0


def _dcg(grades: Sequence[int]) -> float:
    return sum((2**grade - 1) * discount(rank) for rank, grade in enumerate(grades, start=1))


def recall_at_k(ranked: list[int], relevant: set[int], k: int = CUTOFF) -> float:
    """Hits in the top k over the most that could be hit, min(k, |relevant|)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def rank_of(item: int, ranked: list[int]) -> int | None:
    """1-based rank, None when absent."""
    try:
        return ranked.index(item) + 1
    except ValueError:
        return None


# One right answer at `rank` (1-based; None: not ranked): the metrics above, reduced.
def known_item_ndcg(rank: int | None, k: int = CUTOFF) -> float:
    return discount(rank) if rank and rank <= k else 0.0


def known_item_mrr(rank: int | None, k: int = CUTOFF) -> float:
    return 1.0 / rank if rank and rank <= k else 0.0


def known_item_recall(rank: int | None, k: int) -> float:
    return 1.0 if rank and rank <= k else 0.0


def known_item_metrics(rank: int | None) -> dict[str, float]:
    """What `evaluate` reports for one query."""
    return {
        "mrr@10": known_item_mrr(rank, 10),
        "ndcg@10": known_item_ndcg(rank, 10),
        "recall@10": known_item_recall(rank, 10),
        "recall@100": known_item_recall(rank, 100),
    }


@dataclass
class RankingMetrics:
    """Known-item figures over many queries: the answer's rank in each."""

    ranks: list[int | None]

    def _mean(self, values: list[float]) -> float:
        return float(np.mean(values)) if values else 0.0

    def ndcg(self, k: int = CUTOFF) -> float:
        return self._mean([known_item_ndcg(r, k) for r in self.ranks])

    def mrr(self, k: int = CUTOFF) -> float:
        return self._mean([known_item_mrr(r, k) for r in self.ranks])

    def recall(self, k: int) -> float:
        return self._mean([known_item_recall(r, k) for r in self.ranks])

    def summary(self) -> dict[str, float]:
        return {
            "ndcg@10": round(self.ndcg(10), 4),
            "mrr@10": round(self.mrr(10), 4),
            "recall@1": round(self.recall(1), 4),
            "recall@10": round(self.recall(10), 4),
            "queries": len(self.ranks),
        }
