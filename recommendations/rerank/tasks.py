"""Celery task: train a reranker version (recommendations.lab.reranker), progress and log on
its Job row. The lab is imported in the task's body: a web process imports this module only
to queue the task."""

from __future__ import annotations

from celery import shared_task

from jobs.services import JobCancelled, job_claim, job_fail, job_finish, job_log, job_start


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_reranker_task(self, job_id: int) -> dict:
    from jobs.models import Job
    from recommendations.lab.progress import JobProgress
    from recommendations.lab.reranker import reranker_train, training_request
    from recommendations.lab.reranker_data import limit_torch_threads

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
