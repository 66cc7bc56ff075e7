"""Celery tasks: thin wrappers over recommendations.indexing.services.

Every task is acknowledged late (a killed worker's task is delivered again) and safe to repeat.
"""

import random
import time

from celery import Task, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from jobs.models import Job
from jobs.services import job_claim, job_origin
from recommendations.embedding import encode
from recommendations.fusion_tasks import train_fusion_task  # noqa: F401  (autodiscovery)
from recommendations.indexing import services
from recommendations.indexing.services import Batch
from recommendations.rerank.tasks import train_reranker_task  # noqa: F401  (autodiscovery)


def _user(user_id: int | None):
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


def _backoff(retries: int) -> float:
    """Exponential backoff with full jitter, capped by RECSYS_INDEX_RETRY_BACKOFF_MAX."""
    return random.uniform(0.5, 1.0) * min(
        settings.RECSYS_INDEX_RETRY_BACKOFF_MAX, 2 ** (retries + 1)
    )


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=None)
def index_sync_task(movie_ids: list[int] | None = None, created_by_id: int | None = None):
    # Sent by the film-changed receiver: a film was saved, imported or scraped in.
    with job_origin(Job.Origin.SAVE):
        job = services.index_sync(movie_ids=movie_ids, created_by=_user(created_by_id))
    return job.pk if job else None


def _first_delivery_claims(task: Task, job_id: int | None) -> bool:
    """False when another delivery of this job's message already claimed it (the job was sent
    twice): a retry of the same delivery keeps its claim."""
    return job_id is None or task.request.retries > 0 or job_claim(job_id=job_id)


@shared_task(
    bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=None
)
def index_reembed_task(self, movie_ids: list[int], job_id: int | None = None):
    if not _first_delivery_claims(self, job_id):
        return None
    return services.index_reembed(movie_ids=movie_ids, job_id=job_id).pk


@shared_task(
    bind=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def index_rebuild_task(self, job_id: int | None = None):
    if not _first_delivery_claims(self, job_id):
        return None
    return services.index_rebuild(job_id=job_id).pk


@shared_task(acks_late=True, ignore_result=True)
def index_sweep_task():
    with job_origin(Job.Origin.BEAT):
        return services.index_sweep()


class BatchTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted: record the failure on the films and the job, lose nothing.
        services.index_batch_failed(batch=Batch(*args), error=exc)


@shared_task(bind=True, base=BatchTask, acks_late=True, max_retries=None)
def index_batch_task(self, job_id: int, number: int, movie_ids: list[int], mode: str):
    batch = Batch(job_id, number, movie_ids, mode)
    try:
        return services.index_batch(batch=batch)
    except Exception as exc:
        if self.request.retries >= settings.RECSYS_INDEX_TASK_MAX_RETRIES:
            raise
        countdown = _backoff(self.request.retries)
        services.index_batch_retrying(
            batch=batch, error=exc, attempt=self.request.retries + 1, countdown=countdown
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(ignore_result=True)
def ping(token: str, sent_at: float, warm: bool = False) -> None:
    """Records how long a task waited in the broker (bench/); warm=True loads the model first."""
    waited = time.time() - sent_at
    if warm:
        encode(["warm up"])
    cache.set(f"ping:{token}", waited, 300)


@shared_task(acks_late=True, ignore_result=True)
def evaluate_search_task(job_id: int) -> None:
    from recommendations.lab.evaluation_records import evaluation_search_run

    evaluation_search_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def evaluate_recommenders_task(job_id: int) -> None:
    from recommendations.lab.evaluation_records import evaluation_recommenders_run

    evaluation_recommenders_run(job_id=job_id)


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_retriever_task(self, job_id: int) -> dict:
    """Fine-tune a retriever version (recommendations.lab.retriever) as a Job."""
    from recommendations.lab.retriever import retriever_train, training_request
    from recommendations.lab.training_jobs import recipe_training_job_run

    return recipe_training_job_run(
        job_id=job_id, training_request=training_request, train=retriever_train
    )
