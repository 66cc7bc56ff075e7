"""Queueing the lab's work: a Job row and its Celery task, sent by name after commit. The
admin's buttons (a request) and the beat call these, so this module imports nothing of the
lab (recommendations.lab): the worker that runs the task does.

The recommender also retrains by itself when enough new feedback has come in since the active
version (recommender_retrain_if_due, the beat task)."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import JobAlreadyActive, job_create, job_create_exclusive, job_enqueue
from recommendations.models import TrainedModel
from viewers.models import Reaction

# Celery task names (the tasks live beside the code they run).
TRAIN_RERANKER_TASK = "recommendations.rerank.tasks.train_reranker_task"
TRAIN_FUSION_TASK = "recommendations.fusion_tasks.train_fusion_task"
TRAIN_RECOMMENDER_TASK = "recommendations.train_recommender"
TRAIN_RETRIEVER_TASK = "recommendations.tasks.train_retriever_task"
EVALUATE_SEARCH_TASK = "recommendations.tasks.evaluate_search_task"
EVALUATE_RECOMMENDERS_TASK = "recommendations.tasks.evaluate_recommenders_task"

RERANKER_RECIPES = ("default", "tiny")  # recommendations.lab.reranker.RECIPES
RETRIEVER_RECIPES = ("default", "tiny")  # recommendations.lab.retriever.RECIPES
RECOMMENDER_TRAINING_STEPS = ("interactions", "collaborative", "vectors", "save")


class EvaluationUnavailable(Exception):
    pass


class TrainingUnavailable(Exception):
    pass


def reranker_training_start(*, created_by=None) -> Job:
    """Queues a reranker training job (settings.RECSYS_RERANKER_RECIPE on the catalogue and
    settings.RECSYS_RERANKER_TRAINING_QUERIES) and returns its Job row."""
    return _training_start(
        kind=Job.Kind.TRAIN_RERANKER,
        task_name=TRAIN_RERANKER_TASK,
        recipe=settings.RECSYS_RERANKER_RECIPE,
        recipes=RERANKER_RECIPES,
        created_by=created_by,
    )


def retriever_training_start(*, created_by=None) -> Job:
    """Queues a retriever fine-tuning job (settings.RECSYS_RETRIEVER_RECIPE on the catalogue
    and settings.RECSYS_RERANKER_TRAINING_QUERIES) and returns its Job row."""
    return _training_start(
        kind=Job.Kind.TRAIN_RETRIEVER,
        task_name=TRAIN_RETRIEVER_TASK,
        recipe=settings.RECSYS_RETRIEVER_RECIPE,
        recipes=RETRIEVER_RECIPES,
        created_by=created_by,
    )


def _training_start(
    *, kind: str, task_name: str, recipe: str, recipes: tuple[str, ...], created_by
) -> Job:
    if recipe not in recipes:
        raise ValueError(f"unknown {kind} recipe {recipe!r}: use one of {recipes}")
    queries = settings.RECSYS_RERANKER_TRAINING_QUERIES
    job = job_create(
        kind=kind,
        params={"recipe": recipe, "queries": str(Path(queries)) if queries else None},
        created_by=created_by,
    )
    job_enqueue(job=job, task_name=task_name)
    return job


def fusion_training_start(*, created_by=None) -> Job:
    """Queues a learned-fusion training job on settings.RECSYS_FUSION_TRAINING_QUERIES (one at a
    time) and returns its Job row."""
    queries = settings.RECSYS_FUSION_TRAINING_QUERIES
    if not queries or not Path(queries).is_file():
        raise TrainingUnavailable(
            "no labelled queries to learn from: set RECSYS_FUSION_TRAINING_QUERIES to a "
            "tomt-dev.jsonl-style file"
        )
    job = job_create_exclusive(
        kind=Job.Kind.TRAIN_FUSION, params={"queries": str(Path(queries))}, created_by=created_by
    )
    job_enqueue(job=job, task_name=TRAIN_FUSION_TASK)
    return job


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
    job_enqueue(job=job, task_name=EVALUATE_SEARCH_TASK)
    return job


def evaluation_recommenders_enqueue(*, created_by=None) -> Job:
    """The job's total is set when the worker starts it (the lab counts its steps)."""
    path = Path(settings.RECSYS_EVALUATION_MOVIELENS_DIR)
    if not (path / "ratings.csv").is_file():
        raise EvaluationUnavailable(
            f"no MovieLens ratings at {path}: set RECSYS_EVALUATION_MOVIELENS_DIR"
        )
    job = job_create_exclusive(
        kind=Job.Kind.EVALUATE_RECS, params={"path": str(path)}, created_by=created_by
    )
    job_enqueue(job=job, task_name=EVALUATE_RECOMMENDERS_TASK)
    return job


# Held while one process decides whether to queue a retrain: two beat ticks (or a tick and a
# curator's click) must not both find "no retrain running" and queue one each.
RETRAIN_LOCK = "recommender-retrain-lock"
RETRAIN_LOCK_SECONDS = 60
# After a retrain failed, the beat waits this long before trying again (a broken training run
# must not be queued every few minutes; a curator can still retrain from the admin).
RETRAIN_FAILURE_BACKOFF = timedelta(hours=1)


# A training job still "running" after this long has lost its worker: it blocks no retrain.
STALE_TRAINING = timedelta(hours=2)


def training_in_progress() -> Job | None:
    """The recommender training job queued or running now, if any."""
    jobs = Job.objects.filter(kind=Job.Kind.TRAIN_RECOMMENDER)
    queued = jobs.filter(status=Job.Status.QUEUED)
    running = jobs.filter(
        status=Job.Status.RUNNING, started_at__gte=timezone.now() - STALE_TRAINING
    )
    return (queued | running).order_by("created_at").first()


@transaction.atomic
def recommender_train_enqueue(*, created_by=None, params: dict | None = None) -> Job:
    """Queue a training job; refused (JobAlreadyActive, naming it) while one is queued or
    running: each holds about 1 GB. A job "running" past STALE_TRAINING has lost its worker
    and blocks nothing."""
    if (current := training_in_progress()) is not None:
        raise JobAlreadyActive(current)
    job = job_create(
        kind=Job.Kind.TRAIN_RECOMMENDER,
        total=len(RECOMMENDER_TRAINING_STEPS),
        created_by=created_by,
        params=params,
    )
    job_enqueue(job=job, task_name=TRAIN_RECOMMENDER_TASK)
    return job


def feedback_since_active_recommender() -> int:
    """Likes and dislikes given (or changed) since the active recommender was trained; all of
    them when none is trained."""
    active = (
        TrainedModel.objects.filter(kind=TrainedModel.Kind.RECOMMENDER, is_active=True)
        .values_list("created_at", flat=True)
        .first()
    )
    reactions = Reaction.objects.all()
    if active is not None:
        reactions = reactions.filter(created_at__gt=active)
    return reactions.count()


def recommender_retrain_if_due() -> Job | None:
    """Queue one retrain when RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK new reactions have come in, no
    retrain is queued or running and none failed in the last hour; None otherwise. Idempotent:
    safe to call from every tick."""
    if not cache.add(RETRAIN_LOCK, 1, timeout=RETRAIN_LOCK_SECONDS):
        return None  # another process is deciding right now
    try:
        if training_in_progress() is not None:
            return None
        failed_lately = Job.objects.filter(
            kind=Job.Kind.TRAIN_RECOMMENDER,
            status=Job.Status.FAILED,
            finished_at__gte=timezone.now() - RETRAIN_FAILURE_BACKOFF,
        )
        if failed_lately.exists():
            return None
        new_feedback = feedback_since_active_recommender()
        if new_feedback < settings.RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK:
            return None
        return recommender_train_enqueue(
            params={"trigger": "new feedback", "new_feedback": new_feedback}
        )
    finally:
        cache.delete(RETRAIN_LOCK)
