"""Reads of Job rows for the admin's live progress panels."""

from datetime import timedelta

from django.utils import timezone

from jobs.models import Job

RECENT_FAILURES = timedelta(hours=24)


# A job's error text and log can carry hosts, paths and upstream messages. Who may read them:
# a superuser, the job's creator, or whoever may change what that kind of job changes.
KIND_PERMISSION = {
    Job.Kind.SYNC: "movies.change_movie",
    Job.Kind.REEMBED: "movies.change_movie",
    Job.Kind.REBUILD: "movies.change_movie",
    Job.Kind.IMPORT: "movies.add_movie",
    Job.Kind.SCRAPE: "scraping.change_scraperesult",
    Job.Kind.TRAIN_RERANKER: "recommendations.change_trainedmodel",
    Job.Kind.TRAIN_RECOMMENDER: "recommendations.change_trainedmodel",
}


def job_details_visible(*, user, job: Job) -> bool:
    """May this user read the job's error text and log?"""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser or (job.created_by_id is not None and job.created_by_id == user.pk):
        return True
    permission = KIND_PERMISSION.get(job.kind)
    return permission is not None and user.has_perm(permission)


def jobs_with_visible_details(*, user, jobs) -> set[int]:
    return {job.pk for job in jobs if job_details_visible(user=user, job=job)}


def jobs_running_and_failed(*, user=None, running: int = 20, failed: int = 5) -> dict:
    """Jobs queued or running, and jobs that failed in the last day (newest first), with the
    ids of those whose errors the user may read (none without a user)."""
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    recent_failures = Job.objects.filter(
        status=Job.Status.FAILED, finished_at__gte=timezone.now() - RECENT_FAILURES
    )
    jobs, failures = list(active[:running]), list(recent_failures[:failed])
    visible = set() if user is None else jobs_with_visible_details(user=user, jobs=jobs + failures)
    return {"jobs": jobs, "failed": failures, "errors_visible": visible}
