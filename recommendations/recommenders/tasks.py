"""The Celery task that trains the recommender (queued by the admin action and the command).
Registered through recsys_site/celery.py (autodiscover of recommendations.recommenders). The
lab is imported in the task's body: a web process imports this module only to queue it."""

from celery import shared_task

from jobs.services import (
    JobCancelled,
    job_claim,
    job_fail,
    job_finish,
    job_log,
    job_start,
)
from recommendations.lab_jobs import RECOMMENDER_TRAINING_STEPS


@shared_task(bind=True, name="recommendations.train_recommender", max_retries=2)
def train_recommender(self, job_id: int) -> None:
    from recommendations.lab.progress import JobProgress
    from recommendations.lab.recommender_training import recommender_train

    if self.request.retries == 0 and not job_claim(job_id=job_id):
        return  # a message sent twice: another delivery has (or had) the job
    job_start(job_id=job_id, total=len(RECOMMENDER_TRAINING_STEPS))
    try:  # cancelling stops it before the next step: nothing is saved until the last
        trained = recommender_train(progress=JobProgress(job_id, cancel_check_seconds=0.0))
    except JobCancelled:
        job_log(job_id=job_id, line="stopped: cancelled before a version was saved")
        return
    except Exception as error:
        if self.request.retries < self.max_retries:
            job_log(job_id=job_id, line=f"retrying after: {error}")
            raise self.retry(exc=error, countdown=5) from error
        job_fail(job_id=job_id, error=str(error))
        raise
    job_finish(job_id=job_id, result={"version": trained.version, **trained.metrics})


@shared_task(name="recommendations.retrain_recommender_if_due", ignore_result=True)
def retrain_recommender_if_due() -> int | None:
    """Beat: queue a retrain once enough new feedback has come in (services)."""
    from recommendations.lab_jobs import recommender_retrain_if_due

    job = recommender_retrain_if_due()
    return job.pk if job else None
