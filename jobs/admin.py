from django.contrib import admin
from django.template.loader import render_to_string

from jobs.models import Job
from jobs.selectors import job_details_visible, jobs_running_and_failed


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Background work, read-only, with a live progress bar (see templates/admin/jobs/job/)."""

    list_display = [
        *("id", "kind", "status", "progress", "failed", "created_by", "origin", "created_at"),
    ]
    list_filter = ["kind", "status", "origin"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    # Status, counts, times, who started it, errors, the log and the result are in the live
    # panel (jobs/panel.html), so nothing on the page goes stale while the job runs; only the
    # parameters, fixed when the job was created, are an ordinary field.
    fields = ["params"]
    readonly_fields = ["params"]

    @admin.display(description="progress")
    def progress(self, job: Job) -> str:
        return render_to_string("jobs/progress.html#job", {"job": job})

    def changelist_view(self, request, extra_context=None):
        context = {**jobs_running_and_failed(user=request.user), **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        visible = {job.pk} if job and job_details_visible(user=request.user, job=job) else set()
        context = {"errors_visible": visible, **(extra_context or {})}
        if job is not None:
            from jobs.selectors import job_panel

            context.update(job_panel(user=request.user, job=job))
            # The window title without the status, which would go stale while the job runs.
            context["subtitle"] = f"{job.get_kind_display()} #{job.pk}"
        return super().change_view(request, object_id, form_url, context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
