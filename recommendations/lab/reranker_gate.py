"""Deciding a cross-encoder version's gate (recommendations.rerank.gate) on the validation
queries: for each query-length band, the nDCG@10 of the stage before it and reranked by it,
over the same candidates. The version serves a band only where its lift is above 1 on at least
`min_queries` validation queries; every other band (and a band no validation query speaks
for, such as queries under 13 words: tomt-dev has none) keeps the stage before it.

Chosen on validation only: the held-out quarter is scored once, after, with the gate applied,
and steers nothing."""

from __future__ import annotations

from collections.abc import Sequence

from recommendations.lab.metrics import RankingMetrics
from recommendations.rerank.gate import BANDS, Band, RerankGate


def validation_gate(
    words: Sequence[int],
    before: Sequence[int | None],
    after: Sequence[int | None],
    *,
    min_queries: int,
    bands: Sequence[tuple[int, int | None]] = BANDS,
) -> RerankGate:
    """words[i], before[i], after[i]: validation query i's length and its right film's rank
    in the stage before the cross-encoder and reranked by it (None: not in the top 100)."""
    decided = []
    for low, high in bands:
        band = Band(low, high, 0, 0.0, 0.0, serves=False)
        picked = [i for i, n in enumerate(words) if band.holds(n)]
        base = RankingMetrics([before[i] for i in picked]).ndcg() if picked else 0.0
        mine = RankingMetrics([after[i] for i in picked]).ndcg() if picked else 0.0
        serves = len(picked) >= min_queries and mine > base
        decided.append(Band(low, high, len(picked), round(base, 4), round(mine, 4), serves))
    return RerankGate(bands=tuple(decided))


def gated_ranks(
    gate: RerankGate,
    words: Sequence[int],
    before: Sequence[int | None],
    after: Sequence[int | None],
) -> list[int | None]:
    """The ranks search gives with the gate: reranked where the version serves, else before."""
    return [
        mine if gate.serves(n) else theirs
        for n, theirs, mine in zip(words, before, after, strict=True)
    ]
