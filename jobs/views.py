"""Small staff-only partials that admin pages poll with htmx to show live job progress, and the
job page's cancel and retry buttons."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from jobs.models import Job
from jobs.selectors import job_details_visible, job_panel, jobs_running_and_failed
from jobs.services import JobNotRetryable, job_cancel, job_retry


@staff_member_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    visible = {job.pk} if job_details_visible(user=request.user, job=job) else set()
    return render(request, "jobs/progress.html#job", {"job": job, "errors_visible": visible})


@staff_member_required
@require_GET
def job_panel_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("created_by", "retry_of"), pk=pk)
    return render(request, "jobs/panel.html#panel", job_panel(user=request.user, job=job))


@staff_member_required
@require_GET
def running_jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/progress.html#running", jobs_running_and_failed(user=request.user))


def _job_to_act_on(request: HttpRequest, pk: int) -> Job:
    job = get_object_or_404(Job, pk=pk)
    # Who may read a job's details may also stop or rerun it: its creator, a superuser, or whoever
    # may change what that kind of job changes.
    if not job_details_visible(user=request.user, job=job):
        raise PermissionDenied
    return job


@staff_member_required
@require_POST
def job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_to_act_on(request, pk)
    if job_cancel(job_id=job.pk, cancelled_by=request.user):
        messages.success(request, f"Job #{job.pk} cancelled; it stops after its current item.")
    else:
        messages.warning(request, f"Job #{job.pk} had already finished.")
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


@staff_member_required
@require_POST
def job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_to_act_on(request, pk)
    only_failed = request.POST.get("only") == "failed"
    try:
        new = job_retry(job_id=job.pk, created_by=request.user, only_failed=only_failed)
    except JobNotRetryable as error:
        messages.error(request, f"Not retried: {error}.")
        return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
    what = "its failed items" if only_failed else "the whole job"
    messages.success(request, f"Retrying {what} of job #{job.pk} as job #{new.pk}.")
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[new.pk]))
