"""Offline evaluation of the search pipeline on known-item queries (one right film each):
MRR@10, nDCG@10, Recall@10 and Recall@100 for every stage."""

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Q

from movies.models import Movie
from recommendations.search.pipeline import (
    DEFAULT_CONFIG,
    STAGES,
    PipelineConfig,
    run_pipeline,
)

METRICS = ("mrr@10", "ndcg@10", "recall@10", "recall@100")
NO_RERANKER = "none (the fused order)"


@dataclass(frozen=True)
class KnownItemQuery:
    id: str
    query: str
    tmdb_id: int | None
    imdb_id: str | None


def load_queries(path: Path) -> list[KnownItemQuery]:
    """Queries in the tomt-dev.jsonl format; a clear error names a bad line."""
    queries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answer = row["answer"]
                tmdb_id = answer.get("tmdb_id")
                queries.append(
                    KnownItemQuery(
                        id=str(row.get("id", number)),
                        query=str(row["query"]),
                        tmdb_id=int(tmdb_id) if tmdb_id not in (None, "") else None,
                        imdb_id=answer.get("imdb_id") or None,
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"line {number} of {path}: {error!r}") from error
    return queries


def answer_ids(queries: Iterable[KnownItemQuery]) -> dict[str, int]:
    """query id -> movie pk of its answer, for the answers in the catalogue."""
    queries = list(queries)
    tmdb = {q.tmdb_id for q in queries if q.tmdb_id}
    imdb = {q.imdb_id for q in queries if q.imdb_id}
    rows = Movie.objects.filter(Q(tmdb_id__in=tmdb) | Q(imdb_id__in=imdb)).values_list(
        "pk", "tmdb_id", "imdb_id"
    )
    by_tmdb = {t: pk for pk, t, _ in rows if t}
    by_imdb = {i: pk for pk, _, i in rows if i}
    found = {}
    for q in queries:
        pk = by_tmdb.get(q.tmdb_id) or by_imdb.get(q.imdb_id)
        if pk:
            found[q.id] = pk
    return found


def rank_metrics(rank: int | None) -> dict[str, float]:
    """Metrics for one query whose single right answer is at `rank` (1-based) or absent."""
    return {
        "mrr@10": 1.0 / rank if rank and rank <= 10 else 0.0,
        "ndcg@10": 1.0 / math.log2(rank + 1) if rank and rank <= 10 else 0.0,
        "recall@10": 1.0 if rank and rank <= 10 else 0.0,
        "recall@100": 1.0 if rank and rank <= 100 else 0.0,
    }


@dataclass
class EvaluationReport:
    stages: dict[str, dict[str, float]]
    evaluated: int
    skipped: int
    reranker: str = NO_RERANKER  # what produced the reranked stage
    trained_on: int = 0  # queries left out because the active reranker trained on them

    def as_dict(self) -> dict:
        return self.stages


def evaluate(
    queries: list[KnownItemQuery],
    *,
    config: PipelineConfig = DEFAULT_CONFIG,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> EvaluationReport:
    reranker, trained_on = _active_reranker()
    held_out = [q for q in queries if q.id not in trained_on]
    answers = answer_ids(held_out)
    totals = {stage: dict.fromkeys(METRICS, 0.0) for stage in STAGES}
    evaluated = 0
    for query in progress([q for q in held_out if q.id in answers]):
        result = run_pipeline(query.query, config=config)
        position = result.snapshot.positions_of(answers[query.id])
        for stage in STAGES:
            ranking = result.final if stage == "reranked" else result.rankings[stage]
            rank = _rank(ranking, position)
            for name, value in rank_metrics(rank).items():
                totals[stage][name] += value
        evaluated += 1
    stages = {
        stage: {name: (value / evaluated if evaluated else 0.0) for name, value in metrics.items()}
        for stage, metrics in totals.items()
    }
    left_out = len(queries) - len(held_out)
    return EvaluationReport(stages, evaluated, len(held_out) - evaluated, reranker, left_out)


def _active_reranker() -> tuple[str, frozenset[str]]:
    """The trained reranker search uses, if any, and the ids of the queries it trained on:
    its figures must come from queries it has not seen."""
    from recommendations.rerank.serving import active_reranker

    reranker = active_reranker()
    if reranker is None:
        return NO_RERANKER, frozenset()
    name = f"cross-encoder {reranker.version} ({reranker.runtime})"
    return name, reranker.training_query_ids


def _rank(ranking, position: int) -> int | None:
    hits = (ranking[:100] == position).nonzero()[0]
    return int(hits[0]) + 1 if len(hits) else None
