"""Small staff-only partials that admin pages poll with htmx to show live job progress."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from jobs.models import Job
from jobs.selectors import job_details_visible, jobs_running_and_failed


@staff_member_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    visible = {job.pk} if job_details_visible(user=request.user, job=job) else set()
    return render(request, "jobs/progress.html#job", {"job": job, "errors_visible": visible})


@staff_member_required
@require_GET
def running_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/progress.html#running", jobs_running_and_failed(user=request.user))
