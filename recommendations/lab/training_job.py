"""A lab training run as a Celery task runs it: the Job claimed and started, progress and log
on its row, cancelled, failed or finished with the new version's figures. The reranker's and
the learned fusion's tasks share it."""

from __future__ import annotations

from collections.abc import Callable

from jobs.models import Job
from jobs.services import JobCancelled, job_claim, job_fail, job_finish, job_log, job_start
from recommendations.lab.progress import JobProgress, Progress
from recommendations.models import TrainedModel

# train(job, progress) -> the registered version
Train = Callable[[Job, Progress], TrainedModel]


def run_training_job(job_id: int, train: Train) -> dict:
    if not job_claim(job_id=job_id):  # a message sent twice: another delivery has the job
        return {"skipped": Job.objects.get(pk=job_id).status}
    job = Job.objects.get(pk=job_id)
    job_start(job_id=job_id)
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
