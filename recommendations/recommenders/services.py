"""Writes around the recommender: queue a training job."""

from django.db import transaction

from jobs.models import Job
from jobs.services import job_create_exclusive, job_enqueue
from recommendations.recommenders.training import STEPS


@transaction.atomic
def recommender_train_enqueue(*, created_by=None) -> Job:
    from recommendations.recommenders.tasks import train_recommender

    # One training at a time (JobAlreadyActive otherwise): each holds about 1 GB.
    job = job_create_exclusive(
        kind=Job.Kind.TRAIN_RECOMMENDER, total=len(STEPS), created_by=created_by
    )
    job_enqueue(job=job, task_name=train_recommender.name)
    return job
