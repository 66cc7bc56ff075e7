"""Celery task: train a reranker version, progress and log on its Job row."""

from __future__ import annotations

import time

from celery import shared_task

from jobs.services import (
    JobCancelled,
    job_advance,
    job_claim,
    job_fail,
    job_finish,
    job_is_cancelled,
    job_log,
    job_start,
    job_start_phase,
)
from recommendations.rerank.data import limit_torch_threads


class JobProgress:
    """Training progress on a Job row: each phase restarts done/total (the job page times the
    phase for its rate and time left); the log keeps phases. A cancelled job raises
    JobCancelled from advance, checked at most every CANCEL_CHECK_SECONDS."""

    CANCEL_CHECK_SECONDS = 2.0

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._checked_at = time.monotonic()

    def start(self, total: int, description: str) -> None:
        job_start_phase(job_id=self.job_id, name=description, total=total)
        job_log(job_id=self.job_id, line=f"{description} ({total})")
        self._stop_if_cancelled()

    def advance(self, n: int = 1, **figures: float) -> None:
        job_advance(job_id=self.job_id, done=n)
        if time.monotonic() - self._checked_at >= self.CANCEL_CHECK_SECONDS:
            self._stop_if_cancelled()

    def _stop_if_cancelled(self) -> None:
        self._checked_at = time.monotonic()
        if job_is_cancelled(job_id=self.job_id):
            raise JobCancelled(f"job #{self.job_id} was cancelled")

    def log(self, line: str) -> None:
        job_log(job_id=self.job_id, line=line)


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_reranker_task(self, job_id: int) -> dict:
    from jobs.models import Job
    from recommendations.rerank.services import reranker_train, training_request

    if not job_claim(job_id=job_id):  # a message sent twice: another delivery has the job
        return {"skipped": Job.objects.get(pk=job_id).status}
    job = Job.objects.get(pk=job_id)
    job_start(job_id=job_id)
    limit_torch_threads()
    try:
        request = training_request(recipe_name=job.params.get("recipe"))
        model = reranker_train(request=request, progress=JobProgress(job_id))
    except JobCancelled:
        job_log(job_id=job_id, line="stopped: cancelled; no version was saved")
        return {"cancelled": job_id}
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    result = {"trained_model_id": model.pk, "version": model.version, **model.metrics}
    job_finish(job_id=job_id, result=result)
    return {"trained_model_id": model.pk, "version": model.version}
