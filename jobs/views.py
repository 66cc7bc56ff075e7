"""Small staff-only partials that admin pages poll with htmx to show live job progress."""

from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jobs.models import Job

RECENT_FAILURES = timedelta(hours=24)


@staff_member_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    return render(request, "jobs/progress.html#job", {"job": job})


def running_jobs_context() -> dict:
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    failed = Job.objects.filter(
        status=Job.Status.FAILED, finished_at__gte=timezone.now() - RECENT_FAILURES
    )
    return {"jobs": list(active[:20]), "failed": list(failed[:5])}


@staff_member_required
@require_GET
def running_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/progress.html#running", running_jobs_context())
