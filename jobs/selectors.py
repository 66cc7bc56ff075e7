"""Reads of Job rows for the admin's live progress panels."""

from datetime import timedelta

from django.utils import timezone

from jobs.models import Job

RECENT_FAILURES = timedelta(hours=24)


def jobs_running_and_failed(*, running: int = 20, failed: int = 5) -> dict:
    """Jobs queued or running, and jobs that failed in the last day (newest first)."""
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    recent_failures = Job.objects.filter(
        status=Job.Status.FAILED, finished_at__gte=timezone.now() - RECENT_FAILURES
    )
    return {"jobs": list(active[:running]), "failed": list(recent_failures[:failed])}
