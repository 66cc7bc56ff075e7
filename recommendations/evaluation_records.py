"""Writes of saved evaluations: `evaluate` and `evaluate_recs` store each run (an Evaluation
row) so the admin dashboard can draw quality over time, and the admin's "Evaluate search" runs
the search evaluation as a Job."""

import time
from pathlib import Path

from django.conf import settings

from jobs.models import Job
from jobs.services import (
    job_advance,
    job_claim,
    job_create_exclusive,
    job_enqueue,
    job_fail,
    job_finish,
    job_is_cancelled,
    job_log,
    job_set_total,
)
from recommendations.embedding import index_fingerprint
from recommendations.models import Evaluation


class EvaluationUnavailable(Exception):
    pass


def evaluation_save_search(
    *, report, source: str = "", duration_s: float | None = None, job: Job | None = None
) -> Evaluation:
    """One `evaluate` run: nDCG@10, MRR@10, recall per stage, with what produced them."""
    return Evaluation.objects.create(
        kind=Evaluation.Kind.SEARCH,
        reranker=report.reranker,
        retriever=index_fingerprint(),
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


def evaluation_recommenders_compute(*, path: Path, step=lambda: None) -> tuple[dict, int]:
    """evaluate_recs' figures for a MovieLens-format directory (ratings.csv, movies.csv);
    step() is called once per unit of work, of the count returned with the report."""
    from recommendations.embedding import encode
    from recommendations.recommenders import evaluation

    if not (path / "ratings.csv").is_file():
        raise EvaluationUnavailable(f"{path / 'ratings.csv'} not found")
    split = evaluation.time_split(evaluation.ratings_read(path / "ratings.csv"))
    vectors = evaluation.movielens_vectors(path, encode)
    report = evaluation.evaluate(split, vectors, progress=lambda _: step())
    return report, evaluation_recommenders_steps()


def evaluation_recommenders_steps() -> int:
    from recommendations.recommenders import evaluation

    scenarios = len(evaluation.COLD_START_HISTORIES) + 1
    # each scenario scores 6 methods; the cold-start ones once more the old way (watched kept)
    return 2 + 6 * scenarios + len(evaluation.COLD_START_HISTORIES)


def evaluation_recommenders_enqueue(*, created_by=None) -> Job:
    path = Path(settings.RECSYS_EVALUATION_MOVIELENS_DIR)
    if not (path / "ratings.csv").is_file():
        raise EvaluationUnavailable(
            f"no MovieLens ratings at {path}: set RECSYS_EVALUATION_MOVIELENS_DIR"
        )
    job = job_create_exclusive(
        kind=Job.Kind.EVALUATE_RECS,
        params={"path": str(path)},
        total=evaluation_recommenders_steps(),
        created_by=created_by,
    )
    job_enqueue(job=job, task_name="recommendations.tasks.evaluate_recommenders_task")
    return job


def evaluation_recommenders_run(*, job_id: int) -> Evaluation | None:
    """The evaluate_recs task's body: each step advances the job; the run is saved at the end."""
    if not job_claim(job_id=job_id):
        return None
    job = Job.objects.get(pk=job_id)
    started = time.monotonic()
    try:
        report, _ = evaluation_recommenders_compute(
            path=Path(job.params["path"]), step=lambda: job_advance(job_id=job_id, done=1)
        )
        record = evaluation_save_recommenders(
            report=report,
            source=job.params["path"],
            duration_s=round(time.monotonic() - started, 1),
        )
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    Evaluation.objects.filter(pk=record.pk).update(job=job)
    job_finish(job_id=job_id, result={"evaluation": record.pk, "users": report.get("users")})
    record.job = job
    return record


def evaluation_queries_path() -> Path:
    path = Path(settings.RECSYS_EVALUATION_QUERIES) if settings.RECSYS_EVALUATION_QUERIES else None
    if path is None or not path.is_file():
        raise EvaluationUnavailable(
            "no known-item queries to evaluate on: set RECSYS_EVALUATION_QUERIES to a "
            "tomt-dev.jsonl-style file"
        )
    return path


def evaluation_search_enqueue(*, created_by=None) -> Job:
    path = evaluation_queries_path()
    job = job_create_exclusive(
        kind=Job.Kind.EVALUATE, params={"queries": str(path)}, created_by=created_by
    )
    job_enqueue(job=job, task_name="recommendations.tasks.evaluate_search_task")
    return job


def evaluation_search_run(*, job_id: int) -> Evaluation | None:
    """The evaluate task's body: every query advances the job; the run is saved at the end."""
    from recommendations.evaluation import evaluate, load_queries

    if not job_claim(job_id=job_id):
        return None
    job = Job.objects.get(pk=job_id)
    started = time.monotonic()
    try:
        queries = load_queries(Path(job.params["queries"]))
        job_set_total(job_id=job_id, total=len(queries))
        job_log(job_id=job_id, line=f"evaluating {len(queries)} known-item queries")

        def progress(items):
            for item in items:
                if job_is_cancelled(job_id=job_id):
                    return
                yield item
                job_advance(job_id=job_id, done=1)

        report = evaluate(queries, progress=progress)
        if job_is_cancelled(job_id=job_id):
            return None
        record = evaluation_save_search(
            report=report,
            source=job.params["queries"],
            duration_s=round(time.monotonic() - started, 1),
            job=job,
        )
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
