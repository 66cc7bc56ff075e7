"""Short descriptive queries ("heist crew double-crosses each other", "feel-good road trip")
with graded judgements, `data/short_queries.jsonl`: the loader, graded nDCG@10 and its
figure for every stage of the search pipeline.

Judged films are keyed by TMDB id, which the bundled catalogue and the TMDB importer both
keep; a film the served catalogue lacks is left out of that query's ideal ranking, and a
query with no judged film in the catalogue is skipped."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movies.models import Movie
from recommendations.lab.metrics import CUTOFF, graded_ndcg
from recommendations.lab.progress import Progress, SilentProgress, tracked
from recommendations.search.pipeline import DEFAULT_CONFIG, STAGES, PipelineConfig, run_pipeline

SHORT_QUERIES_PATH = Path(__file__).resolve().parents[2] / "data" / "short_queries.jsonl"
GRADES = (1, 2)  # 2: exactly what was asked; 1: a fair answer. Unjudged films count 0.


@dataclass(frozen=True)
class Judgement:
    tmdb_id: int
    title: str
    year: int
    grade: int


@dataclass(frozen=True)
class GradedQuery:
    id: str
    query: str
    judgements: tuple[Judgement, ...]

    def grades(self) -> dict[int, int]:
        """TMDB id -> grade."""
        return {j.tmdb_id: j.grade for j in self.judgements}


def load_graded_queries(path: Path = SHORT_QUERIES_PATH) -> list[GradedQuery]:
    """The set in `path`; a clear error names a bad line (bad grade, a film judged twice,
    a query id used twice)."""
    queries: list[GradedQuery] = []
    seen_ids: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                query = _graded_query(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"line {number} of {path}: {error!r}") from error
            if query.id in seen_ids:
                raise ValueError(f"line {number} of {path}: query id {query.id!r} used twice")
            seen_ids.add(query.id)
            queries.append(query)
    return queries


def _graded_query(row: dict) -> GradedQuery:
    judgements = tuple(
        Judgement(int(j["tmdb_id"]), str(j["title"]), int(j["year"]), int(j["grade"]))
        for j in row["judgements"]
    )
    if bad := [j.grade for j in judgements if j.grade not in GRADES]:
        raise ValueError(f"grades must be one of {GRADES}, got {bad}")
    ids = [j.tmdb_id for j in judgements]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a film judged twice: {sorted(i for i in ids if ids.count(i) > 1)}")
    return GradedQuery(id=str(row["id"]), query=str(row["query"]), judgements=judgements)


@dataclass
class GradedReport:
    stages: dict[str, float]  # stage -> mean graded nDCG@10
    evaluated: int
    skipped: int  # queries with no judged film in the catalogue
    per_query: dict[str, dict[str, float]]  # query id -> stage -> graded nDCG@10

    def as_dict(self) -> dict:
        return {"stages": self.stages, "evaluated": self.evaluated, "skipped": self.skipped}


def evaluate_graded(
    queries: list[GradedQuery],
    *,
    config: PipelineConfig = DEFAULT_CONFIG,
    progress: Progress | None = None,
) -> GradedReport:
    """Graded nDCG@10 of every stage's ranking on the served catalogue, averaged over the
    queries with at least one judged film in it."""
    pk_of = _movie_ids_by_tmdb_id({j.tmdb_id for q in queries for j in q.judgements})
    totals = dict.fromkeys(STAGES, 0.0)
    per_query: dict[str, dict[str, float]] = {}
    judged = [q for q in queries if any(t in pk_of for t in q.grades())]
    for query in tracked(judged, progress or SilentProgress(), "short queries"):
        grade_of_pk = {pk_of[t]: g for t, g in query.grades().items() if t in pk_of}
        result = run_pipeline(query.query, config=config)
        positions = result.snapshot.positions(np.array(list(grade_of_pk), dtype=np.int64))
        grade_at = dict(zip(positions.tolist(), grade_of_pk.values(), strict=True))
        scores = {}
        for stage in STAGES:
            ranking = result.final if stage == "reranked" else result.rankings[stage]
            ranked = [grade_at.get(p, 0) for p in ranking[:CUTOFF].tolist()]
            scores[stage] = graded_ndcg(ranked, grade_of_pk.values())
            totals[stage] += scores[stage]
        per_query[query.id] = scores
    evaluated = len(judged)
    stages = {s: (total / evaluated if evaluated else 0.0) for s, total in totals.items()}
    return GradedReport(stages, evaluated, len(queries) - evaluated, per_query)


def _movie_ids_by_tmdb_id(tmdb_ids: set[int]) -> dict[int, int]:
    return dict(Movie.objects.filter(tmdb_id__in=tmdb_ids).values_list("tmdb_id", "pk"))
