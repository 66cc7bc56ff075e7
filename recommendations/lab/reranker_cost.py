"""Choosing a cross-encoder version's serving cost (recommendations.rerank.cost) on the
validation queries: every setting of the grid (rerank depth by film tokens by query tokens, none
above what the version trained with) reranks the same candidates of every validation query;
each setting's nDCG@10 and its cost (tokens scored per query, padded as served) are recorded,
and the cheapest setting whose nDCG@10 is within `margin` of the full setting's serves.

The figures are those of every validation query, not only the lengths the gate serves (the
gate is decided at the full setting, lab/reranker_gate.py): what a cut costs the model's
ranking, wherever it is asked to rank. Chosen on validation only, in the runtime search serves
the version with (int8 moves logits a little, and it is what a cut would cost there); the
held-out quarter steers nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from recommendations.lab.metrics import RankingMetrics, rank_of
from recommendations.lab.queries import LabelledQuery
from recommendations.lab.reranker_data import CandidateSource, candidates_many
from recommendations.lab.reranker_evaluation import rerank_order
from recommendations.rerank.cost import ScoredSetting, ServingCost, Setting
from recommendations.rerank.cross_encoder import CrossEncoderReranker
from recommendations.rerank.encoder import bucket_length

if TYPE_CHECKING:
    from recommendations.lab.reranker_training import Recipe


def setting_grid(
    full: Setting,
    depths: Sequence[int],
    doc_tokens: Sequence[int],
    query_tokens: Sequence[int],
) -> list[Setting]:
    """Every combination at most `full` in each dimension, `full` itself always among them."""
    grid = {
        Setting(d, t, q)
        for d, t, q in product(depths, doc_tokens, query_tokens)
        if d <= full.depth and t <= full.doc_tokens and q <= full.query_tokens
    }
    return sorted(grid | {full}, reverse=True)


def choose(scored: Sequence[ScoredSetting], full: Setting, margin: float) -> Setting:
    """The setting with the fewest tokens among those whose nDCG@10 is at least the full
    setting's less `margin` (ties: the better nDCG@10, then the larger setting)."""
    by_setting = {s.setting: s for s in scored}
    floor = by_setting[full].ndcg - margin - 1e-9
    fit = [s for s in scored if s.ndcg >= floor]
    best = min(fit, key=lambda s: (s.tokens, -s.ndcg, tuple(-v for v in vars(s.setting).values())))
    return best.setting


def validation_cost(
    reranker: CrossEncoderReranker,
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    *,
    grid: Sequence[Setting],
    full: Setting,
    pool: int,
    margin: float,
    on_query: Callable[[], None] | None = None,
) -> ServingCost:
    """Each setting of the grid scored on these queries, and the one chosen. The reranker
    is left at its full setting. Without queries nothing is chosen: it serves as trained."""
    if not queries:
        return ServingCost(chosen=None, full=full, margin=margin)
    pools = candidates_many(candidates_for, [q.text for q in queries], pool)
    deepest = max(s.depth for s in grid)
    ranks: dict[Setting, list[int | None]] = defaultdict(list)
    tokens: dict[Setting, int] = defaultdict(int)
    lengths = sorted({(s.doc_tokens, s.query_tokens) for s in grid}, reverse=True)
    try:
        for doc_tokens, query_tokens in lengths:
            # One scoring at the deepest depth serves every depth: a candidate's score does
            # not depend on the others in its batch.
            reranker.serve_at(Setting(deepest, doc_tokens, query_tokens))
            depths = sorted(
                {
                    s.depth
                    for s in grid
                    if s.doc_tokens == doc_tokens and s.query_tokens == query_tokens
                }
            )
            for query, candidates in zip(queries, pools, strict=True):
                head = candidates[:deepest]
                scores = reranker.score(query.text, head) if head else []
                rows = (
                    reranker.encode(query.text, [c.text for c in head]).attention_mask.sum(1)
                    if head
                    else []
                )
                for depth in depths:
                    setting = Setting(depth, doc_tokens, query_tokens)
                    order = rerank_order(candidates, scores[:depth], depth)
                    ranks[setting].append(rank_of(query.movie_id, order))
                    tokens[setting] += padded_tokens(rows[:depth], reranker.config.bucket)
                if on_query:
                    on_query()
    finally:
        reranker.serve_at(None)
    scored = tuple(
        ScoredSetting(
            setting,
            round(RankingMetrics(ranks[setting]).ndcg(), 4),
            round(tokens[setting] / len(queries), 1),
        )
        for setting in grid
    )
    return ServingCost(chosen=choose(scored, full, margin), full=full, margin=margin, scored=scored)


def padded_tokens(row_lengths: Sequence[int], bucket: int) -> int:
    """Tokens one batch of pairs costs as served: every row padded to the longest, rounded up
    to the bucket (rerank/encoder.pack)."""
    if not len(row_lengths):
        return 0
    return len(row_lengths) * bucket_length(int(max(row_lengths)), bucket)


def recipe_grid(recipe: Recipe) -> tuple[Setting, list[Setting]]:
    """A recipe's full setting (what it trains and validates with) and its grid."""
    full = Setting(recipe.rerank_depth, recipe.max_doc_tokens, recipe.max_query_tokens)
    grid = setting_grid(full, recipe.cost_depths, recipe.cost_doc_tokens, recipe.cost_query_tokens)
    return full, grid


def scorings(grid: Sequence[Setting]) -> int:
    """How many times the validation queries are scored for this grid (once per token pair)."""
    return len({(s.doc_tokens, s.query_tokens) for s in grid})


def version_cost(
    directory: Path,
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    *,
    recipe: Recipe,
    runtime: str,
    on_query: Callable[[], None] | None = None,
) -> ServingCost:
    """The serving cost of the version in `directory`, chosen on `queries` (its validation
    queries) with the grid and margin of its recipe (lab/reranker_training.Recipe), loaded in
    `runtime` at its full setting."""
    reranker = CrossEncoderReranker.from_directory(directory, runtime=runtime, cost="full")
    full, grid = recipe_grid(recipe)
    return validation_cost(
        reranker,
        queries,
        candidates_for,
        grid=grid,
        full=full,
        pool=recipe.candidate_pool,
        margin=recipe.cost_margin,
        on_query=on_query,
    )
