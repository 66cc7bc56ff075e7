"""Writes of saved evaluations: `evaluate` and `evaluate_recs` store each run (an Evaluation
row) so the admin dashboard can draw quality over time, and the admin's "Evaluate search" runs
the search evaluation as a Job."""

import time
from pathlib import Path

from jobs.models import Job
from jobs.services import (
    JobCancelled,
    job_claim,
    job_fail,
    job_finish,
    job_log,
    job_set_total,
)
from recommendations.embedding import fingerprint_of, index_fingerprint
from recommendations.lab.progress import JobProgress, Progress
from recommendations.lab_jobs import EvaluationUnavailable
from recommendations.models import Evaluation


def evaluation_save_search(
    *, report, source: str = "", duration_s: float | None = None, job: Job | None = None
) -> Evaluation:
    """One `evaluate` run: nDCG@10, MRR@10, recall per stage, with what produced them."""
    return Evaluation.objects.create(
        kind=Evaluation.Kind.SEARCH,
        reranker=report.reranker,
        retriever=fingerprint_of(report.retriever) if report.retriever else index_fingerprint(),
        queries=report.evaluated,
        figures=report.as_dict(),
        source=source,
        duration_s=duration_s,
        job=job,
    )


def evaluation_save_recommenders(
    *, report: dict, source: str = "", duration_s: float | None = None
) -> Evaluation:
    """One `evaluate_recs` run: Recall@10 and NDCG@10 per scenario and method."""
    return Evaluation.objects.create(
        kind=Evaluation.Kind.RECOMMENDER,
        retriever=index_fingerprint(),
        queries=int(report.get("users", 0)),
        figures=report,
        source=source,
        duration_s=duration_s,
    )


def evaluation_recommenders_compute(*, path: Path, progress: Progress | None = None) -> dict:
    """evaluate_recs' figures for a MovieLens-format directory (ratings.csv, movies.csv)."""
    from recommendations.embedding import encode
    from recommendations.lab import recommender_evaluation as evaluation

    if not (path / "ratings.csv").is_file():
        raise EvaluationUnavailable(f"{path / 'ratings.csv'} not found")
    split = evaluation.time_split(evaluation.ratings_read(path / "ratings.csv"))
    vectors = evaluation.movielens_vectors(path, encode)
    return evaluation.evaluate(split, vectors, progress=progress)


def evaluation_recommenders_run(*, job_id: int) -> Evaluation | None:
    """The evaluate_recs task's body: each step advances the job; the run is saved at the end."""
    if not job_claim(job_id=job_id):
        return None
    job = Job.objects.get(pk=job_id)
    started = time.monotonic()
    try:
        report = evaluation_recommenders_compute(
            path=Path(job.params["path"]), progress=JobProgress(job_id)
        )
        record = evaluation_save_recommenders(
            report=report,
            source=job.params["path"],
            duration_s=round(time.monotonic() - started, 1),
        )
    except JobCancelled:
        return None
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    Evaluation.objects.filter(pk=record.pk).update(job=job)
    job_finish(job_id=job_id, result={"evaluation": record.pk, "users": report.get("users")})
    record.job = job
    return record


def evaluation_search_run(*, job_id: int) -> Evaluation | None:
    """The evaluate task's body: every query advances the job; the run is saved at the end."""
    from recommendations.lab.search_evaluation import evaluate, load_queries

    if not job_claim(job_id=job_id):
        return None
    job = Job.objects.get(pk=job_id)
    started = time.monotonic()
    try:
        queries = load_queries(Path(job.params["queries"]))
        job_set_total(job_id=job_id, total=len(queries))
        job_log(job_id=job_id, line=f"evaluating {len(queries)} known-item queries")
        report = evaluate(queries, progress=JobProgress(job_id, cancel_check_seconds=0.0))
        record = evaluation_save_search(
            report=report,
            source=job.params["queries"],
            duration_s=round(time.monotonic() - started, 1),
            job=job,
        )
    except JobCancelled:
        return None
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    # Queries the reranker trained on, or whose answer is not in the catalogue, are left out
    # and never advanced: the total becomes what was evaluated.
    job_set_total(job_id=job_id, total=Job.objects.get(pk=job_id).done)
    job_finish(
        job_id=job_id,
        result={"evaluation": record.pk, "queries": report.evaluated, **report.as_dict()},
    )
    return record
