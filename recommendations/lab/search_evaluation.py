"""Offline evaluation of search on labelled known-item queries (one right film each):
MRR@10, nDCG@10, Recall@10 and Recall@100 for every stage of the pipeline, as a request runs
it (the active reranker included)."""

import json
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

__all__ = [
    "METRICS",
    "SPLITS",
    "EvaluationReport",
    "answer_ranks",
    "evaluate",
    "in_split",
    "load_queries",
]

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
    retriever: str = ""  # the embedding model of the live index (the dense stage's)
    retriever_trained_on: int = 0  # queries left out because that retriever trained on them
    reranker_serves: str = ""  # the queries the reranker serves (its gate); "": none active

    def as_dict(self) -> dict:
        return self.stages


def evaluate(
    queries: list[LabelledQuery],
    *,
    config: PipelineConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
) -> EvaluationReport:
    reranker, serves, trained_on = _active_reranker()
    fusion, fusion_trained_on = _active_fusion()
    retriever, retriever_trained_on = _live_retriever()
    seen = trained_on | fusion_trained_on
    held_out = [q for q in queries if q.id not in seen | retriever_trained_on]
    answered, skipped = with_answers(held_out)
    totals = {stage: dict.fromkeys(METRICS, 0.0) for stage in STAGES}
    evaluated = 0
    for query in tracked(answered, progress or SilentProgress(), "queries"):
        for stage, rank in answer_ranks(query, config=config).items():
            for name, value in known_item_metrics(rank).items():
                totals[stage][name] += value
        evaluated += 1
    stages = {
        stage: {name: (value / evaluated if evaluated else 0.0) for name, value in metrics.items()}
        for stage, metrics in totals.items()
    }
    left_out = sum(q.id in seen for q in queries)
    left_out_retriever = sum(q.id in retriever_trained_on for q in queries)
    return EvaluationReport(
        stages,
        evaluated,
        skipped,
        reranker,
        left_out,
        fusion,
        retriever,
        left_out_retriever,
        reranker_serves=serves,
    )


def answer_ranks(
    query: LabelledQuery, *, config: PipelineConfig = DEFAULT_CONFIG
) -> dict[str, int | None]:
    """The answer's 1-based rank in each stage's top 100 for this query (None: not there)."""
    result = run_pipeline(query.text, config=config)
    position = result.snapshot.positions_of(query.movie_id)
    return {
        stage: _rank(result.final if stage == "reranked" else result.rankings[stage], position)
        for stage in STAGES
    }


def _live_retriever() -> tuple[str, frozenset[str]]:
    """The embedding model of the live index and, for a fine-tuned retriever, the ids of the
    queries it trained on (its figures must come from queries it has not seen)."""
    from recommendations.embedding import model_directory
    from recommendations.lab.retriever_training import TRAINING_FILE
    from recommendations.search.dense import live_model

    model = live_model()
    path = model_directory(model) / TRAINING_FILE
    if not path.is_file():
        return model, frozenset()
    return model, frozenset(json.loads(path.read_text()).get("train_query_ids", []))


SPLITS = ("held-out", "validation")


def in_split(queries: list[LabelledQuery], split: str | None) -> list[LabelledQuery]:
    """The queries of one part of the fixed split (None: all of them)."""
    from recommendations.lab.split import HELD_OUT_FRACTION, is_held_out, training_split

    if split is None:
        return queries
    if split == "held-out":
        return [q for q in queries if is_held_out(q.id, fraction=HELD_OUT_FRACTION)]
    if split == "validation":
        return training_split(queries)[1]
    raise ValueError(f"unknown split {split!r}: use one of {SPLITS}")


def _active_reranker() -> tuple[str, str, frozenset[str]]:
    """The trained reranker search uses, if any, with the queries it serves (its gate), and
    the ids of the queries it trained or chose its gate on: its figures must come from
    queries it has not seen."""
    from recommendations.rerank.serving import active_reranker

    reranker = active_reranker()
    if reranker is None:
        return NO_RERANKER, "", frozenset()
    name = f"cross-encoder {reranker.version} ({reranker.runtime})"
    serves = f"{reranker.gate.describe()}; at {reranker.serves_at()}"
    return name, serves, reranker.training_query_ids


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
