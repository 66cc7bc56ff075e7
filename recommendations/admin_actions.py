"""Curator actions on the film list, added to the Movie admin (owned by movies/admin.py) through
its MOVIE_ADMIN_EXTENSIONS, so that the catalogue app needs to know nothing about the index."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from jobs.models import Job
from jobs.services import job_create, job_enqueue
from movies.models import Movie


def _queue(
    request: HttpRequest, modeladmin, *, kind: str, task, task_kwargs: dict, what: str
) -> Job:
    """Record the job and send its task; with the broker down the job waits, queued, and the
    periodic redispatch sends it once the broker is back."""
    job = job_create(kind=kind, created_by=request.user)
    job_enqueue(job=job, task_name=task.name, task_kwargs=task_kwargs)
    job.refresh_from_db(fields=["dispatched_at"])
    url = reverse("admin:jobs_job_change", args=[job.pk])
    if job.dispatched_at is None:
        modeladmin.message_user(
            request,
            format_html(
                '{} recorded as <a href="{}">job #{}</a>; the task broker is unreachable, so it '
                "starts once the broker is back.",
                what,
                url,
                job.pk,
            ),
            messages.WARNING,
        )
        return job
    modeladmin.message_user(
        request,
        format_html('{} queued: <a href="{}">follow job #{}</a>.', what, url, job.pk),
        messages.SUCCESS,
    )
    return job


@admin.action(description="Re-embed selected films", permissions=["change"])
def reembed_selected(modeladmin, request: HttpRequest, queryset: QuerySet[Movie]) -> None:
    from recommendations.tasks import index_reembed_task

    ids = sorted(queryset.values_list("pk", flat=True))  # not the list's display order
    _queue(
        request,
        modeladmin,
        kind=Job.Kind.REEMBED,
        task=index_reembed_task,
        task_kwargs={"movie_ids": ids},
        what=f"Re-embedding {len(ids)} films",
    )


def rebuild_index(modeladmin, request: HttpRequest) -> Job:
    """Not a selection action: the film list's "Rebuild the search index" button leads to a
    confirmation page (recommendations/admin_console.py) that calls this."""
    from recommendations.tasks import index_rebuild_task

    return _queue(
        request,
        modeladmin,
        kind=Job.Kind.REBUILD,
        task=index_rebuild_task,
        task_kwargs={},
        what="A rebuild of the whole index",
    )


def register() -> None:
    """Add the index's action and its close-match finder to the Movie admin, through the hook
    movies/admin.py exposes (the catalogue app knows nothing of the index)."""
    from movies.admin import MOVIE_ADMIN_EXTENSIONS

    MOVIE_ADMIN_EXTENSIONS.action_add(reembed_selected)
    MOVIE_ADMIN_EXTENSIONS.close_matches = films_of_closest_name


def films_of_closest_name(term: str) -> tuple[str, list[int]] | None:
    """The search catalogue's fuzzy name lookup, loaded on the admin's first unmatched search."""
    from recommendations.search.catalogue import films_of_closest_name as lookup

    return lookup(term)
