"""A training run as a Job, for every model the lab trains from the admin (the reranker, the
retriever, the learned fusion): claimed once, progress and log on the Job row, cancel,
failure, and the new version's figures as the job's result. The Celery tasks call this in
their body; the training services register what a run wrote with register_trained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.services import JobCancelled, job_claim, job_fail, job_finish, job_log, job_start
from recommendations.lab.progress import JobProgress, Progress
from recommendations.lab.reranker_data import limit_torch_threads
from recommendations.lab.versions import TrainingResult
from recommendations.models import TrainedModel
from recommendations.trained_models import artifact_path, trained_model_register


def training_job_run(*, job_id: int, train: Callable[[Job, Progress], TrainedModel]) -> dict:
    """Runs `train(job, progress)` for this job, once even if the task is delivered twice."""
    if not job_claim(job_id=job_id):  # a message sent twice: another delivery has the job
        return {"skipped": Job.objects.get(pk=job_id).status}
    job = Job.objects.get(pk=job_id)
    job_start(job_id=job_id)
    limit_torch_threads()
    try:
        model = train(job, JobProgress(job_id))
    except JobCancelled:
        job_log(job_id=job_id, line="stopped: cancelled; no version was saved")
        return {"cancelled": job_id}
    except Exception as error:
        job_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    result = {"trained_model_id": model.pk, "version": model.version, **model.metrics}
    job_finish(job_id=job_id, result=result)
    return {"trained_model_id": model.pk, "version": model.version}


def recipe_training_job_run(
    *,
    job_id: int,
    training_request: Callable[..., Any],
    train: Callable[..., TrainedModel],
) -> dict:
    """training_job_run for a kind the admin trains by recipe name (the job's params["recipe"],
    settings' recipe when absent): the reranker, the retriever."""

    def run(job: Job, progress: Progress) -> TrainedModel:
        request = training_request(recipe_name=job.params.get("recipe"))
        return train(request=request, progress=progress)

    return training_job_run(job_id=job_id, train=run)


def register_trained(*, kind: str, result: TrainingResult, activate: bool) -> TrainedModel:
    """Registers the version a training run wrote, and makes it the active one if asked."""
    return trained_model_register(
        kind=kind,
        version=result.version,
        path=artifact_path(result.directory),
        config=result.config,
        metrics=result.metrics,
        data_hash=result.data_hash,
        activate=activate,
    )
