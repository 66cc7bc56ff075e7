from celery import shared_task

from jobs.services import jobs_redispatch


@shared_task(name="jobs.redispatch", ignore_result=True)
def redispatch_queued_jobs() -> int:
    return jobs_redispatch()
