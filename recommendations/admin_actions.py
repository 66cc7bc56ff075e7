"""Curator actions on the film list, added to the Movie admin (owned by movies/admin.py) from
here so that the catalogue app needs to know nothing about the index."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from jobs.models import Job
from jobs.services import job_create, job_fail
from movies.models import Movie


def _queue(request: HttpRequest, modeladmin, *, kind: str, task, task_kwargs: dict, what: str):
    job = job_create(kind=kind, created_by=request.user)
    try:
        task.apply_async(
            kwargs={**task_kwargs, "job_id": job.pk},
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.1},
        )
    except Exception as exc:  # the broker is down
        job_fail(job_id=job.pk, error=f"could not queue the work: {exc}")
        modeladmin.message_user(
            request, f"Could not queue {what}: the task broker is unreachable.", messages.ERROR
        )
        return
    url = reverse("admin:jobs_job_change", args=[job.pk])
    modeladmin.message_user(
        request,
        format_html('{} queued: <a href="{}">follow job #{}</a>.', what, url, job.pk),
        messages.SUCCESS,
    )


@admin.action(description="Re-embed selected films", permissions=["change"])
def reembed_selected(modeladmin, request: HttpRequest, queryset: QuerySet[Movie]) -> None:
    from recommendations.tasks import index_reembed_task

    ids = list(queryset.values_list("pk", flat=True))
    _queue(
        request,
        modeladmin,
        kind=Job.Kind.REEMBED,
        task=index_reembed_task,
        task_kwargs={"movie_ids": ids},
        what=f"Re-embedding {len(ids)} films",
    )


@admin.action(description="Rebuild the whole index (select any film)", permissions=["change"])
def rebuild_index(modeladmin, request: HttpRequest, queryset: QuerySet[Movie]) -> None:
    from recommendations.tasks import index_rebuild_task

    _queue(
        request,
        modeladmin,
        kind=Job.Kind.REBUILD,
        task=index_rebuild_task,
        task_kwargs={},
        what="A rebuild of the whole index",
    )


ACTIONS = [reembed_selected, rebuild_index]


def register() -> None:
    """Add the actions to whichever ModelAdmin movies/admin.py registered for Movie."""
    if not admin.site.is_registered(Movie):
        return
    model_admin = admin.site.get_model_admin(Movie)
    present = list(model_admin.actions or [])
    model_admin.actions = present + [a for a in ACTIONS if a not in present]
