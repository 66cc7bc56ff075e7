"""Offline evaluation of search on labelled known-item queries (one right film each):
MRR@10, nDCG@10, Recall@10 and Recall@100 for every stage of the pipeline, as a request runs
it (the active reranker included)."""

from dataclasses import dataclass

from recommendations.lab.metrics import known_item_metrics
from recommendations.lab.progress import Progress, SilentProgress, tracked
from recommendations.lab.queries import LabelledQuery, load_queries, with_answers
from recommendations.search.pipeline import (
    DEFAULT_CONFIG,
    STAGES,
    PipelineConfig,
    run_pipeline,
)

__all__ = ["METRICS", "EvaluationReport", "evaluate", "load_queries"]

METRICS = ("mrr@10", "ndcg@10", "recall@10", "recall@100")
NO_RERANKER = "none (the fused order)"
HAND_SET_FUSION = "hand-set z-scores"


@dataclass
class EvaluationReport:
    stages: dict[str, dict[str, float]]
    evaluated: int
    skipped: int
    reranker: str = NO_RERANKER  # what produced the reranked stage
    trained_on: int = 0  # queries left out: the active reranker or fusion trained on them
    fusion: str = HAND_SET_FUSION  # what ordered the fused stage

    def as_dict(self) -> dict:
        return self.stages


def evaluate(
    queries: list[LabelledQuery],
    *,
    config: PipelineConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
) -> EvaluationReport:
    reranker, trained_on = _active_reranker()
    fusion, fusion_trained_on = _active_fusion()
    held_out = [q for q in queries if q.id not in trained_on | fusion_trained_on]
    answered, skipped = with_answers(held_out)
    totals = {stage: dict.fromkeys(METRICS, 0.0) for stage in STAGES}
    evaluated = 0
    for query in tracked(answered, progress or SilentProgress(), "queries"):
        result = run_pipeline(query.text, config=config)
        position = result.snapshot.positions_of(query.movie_id)
        for stage in STAGES:
            ranking = result.final if stage == "reranked" else result.rankings[stage]
            rank = _rank(ranking, position)
            for name, value in known_item_metrics(rank).items():
                totals[stage][name] += value
        evaluated += 1
    stages = {
        stage: {name: (value / evaluated if evaluated else 0.0) for name, value in metrics.items()}
        for stage, metrics in totals.items()
    }
    left_out = len(queries) - len(held_out)
    return EvaluationReport(stages, evaluated, skipped, reranker, left_out, fusion)


def _active_reranker() -> tuple[str, frozenset[str]]:
    """The trained reranker search uses, if any, and the ids of the queries it trained on:
    its figures must come from queries it has not seen."""
    from recommendations.rerank.serving import active_reranker

    reranker = active_reranker()
    if reranker is None:
        return NO_RERANKER, frozenset()
    name = f"cross-encoder {reranker.version} ({reranker.runtime})"
    return name, reranker.training_query_ids


def _active_fusion() -> tuple[str, frozenset[str]]:
    """The learned fusion search uses, if any, and the queries that trained it or chose its
    recipe (left out, as the reranker's)."""
    from recommendations.search.learned_fusion import active_fusion

    fusion = active_fusion()
    if fusion is None:
        return HAND_SET_FUSION, frozenset()
    name = f"learned {fusion.version} (queries of {fusion.min_query_words}+ words)"
    return name, fusion.training_query_ids


def _rank(ranking, position: int) -> int | None:
    hits = (ranking[:100] == position).nonzero()[0]
    return int(hits[0]) + 1 if len(hits) else None
