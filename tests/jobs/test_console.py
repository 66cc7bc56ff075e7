"""The job page as a curator reads it: one panel with every field, human errors with the raw
text folded away, cancel and retry."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from jobs.errors import error_display, error_summary
from jobs.models import Job
from jobs.services import (
    JobNotRetryable,
    job_advance,
    job_cancel,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_record_errors,
    job_retry,
    job_start,
)

pytestmark = pytest.mark.django_db
RAW = (
    "[http_error] https://www.imdb.com/title/tt0068646/: [Errno -2] Name or service not known "
    "(after 3 tries)"
)


def test_a_scrape_error_reads_as_a_sentence_with_the_raw_text_kept():
    assert error_summary(RAW) == "imdb.com could not be reached (3 tries)"
    assert error_display(RAW)["detail"] == RAW
    assert error_summary("[not_found] http://x.test/title/tt1/: HTTP 404") == (
        "x.test has no such title (HTTP 404)"
    )
    assert error_summary("[http_error] https://www.imdb.com/t/: HTTP 503 (http)") == (
        "imdb.com answered with an error (HTTP 503)"
    )
    assert error_display("plain words")["detail"] == ""


def test_the_job_page_shows_who_started_it_from_where_and_a_human_error(admin_client, admin_user):
    job = job_create(kind=Job.Kind.SCRAPE, created_by=admin_user, total=4)
    job_start(job_id=job.pk)
    job_advance(job_id=job.pk, done=2, failed=1)
    job_record_errors(job_id=job.pk, errors=[{"object_id": 3, "label": "Heat", "error": RAW}])

    page = admin_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()

    assert "admin, from an admin action" in page
    assert "imdb.com could not be reached (3 tries)" in page
    assert "<details><summary>Technical detail</summary><code>" in page  # raw text folded
    assert "2 of 4 · 75% processed" in page and 'data-field="eta"' in page
    assert "Cancel job" in page and "(Running)" not in page  # no stale status in the title
    assert job_create(kind=Job.Kind.SYNC).origin == Job.Origin.OTHER


def test_cancel_stops_a_job_and_a_late_finish_does_not_revive_it(admin_client, admin_user):
    job = job_create(kind=Job.Kind.REBUILD, created_by=admin_user)
    job_start(job_id=job.pk)

    response = admin_client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)

    assert "cancelled" in response.content.decode()
    job_finish(job_id=job.pk, result={"late": True})
    job_fail(job_id=job.pk, error="late")
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and job.result == {}
    assert not job_cancel(job_id=job.pk)  # already finished


def test_only_permitted_staff_may_cancel(client, admin_user):
    job = job_create(kind=Job.Kind.REBUILD, created_by=admin_user)
    staff = User.objects.create_user("looker", password="pw", is_staff=True)
    client.force_login(staff)

    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 403
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED


def test_retry_runs_the_same_task_again_as_a_new_job(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    job = job_create(kind=Job.Kind.REBUILD, created_by=admin_user)
    job_enqueue(job=job, task_name="recommendations.tasks.index_rebuild_task", queue="nowhere")
    with pytest.raises(JobNotRetryable):
        job_retry(job_id=job.pk)  # still queued
    job_fail(job_id=job.pk, error="boom")

    with django_capture_on_commit_callbacks(execute=False):
        new = job_retry(job_id=job.pk, created_by=admin_user)

    assert (new.kind, new.origin, new.retry_of_id) == (job.kind, Job.Origin.RETRY, job.pk)
    assert new.task_name == job.task_name and new.task_kwargs == {"job_id": new.pk}
    with pytest.raises(JobNotRetryable):
        job_retry(job_id=job.pk, only_failed=True)  # a rebuild has no items to pick


def test_a_job_says_where_it_came_from(django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    from jobs.services import job_origin

    with django_capture_on_commit_callbacks(execute=False):
        call_command("train_recommender", "--queue", stdout=StringIO())
    assert Job.objects.get(kind=Job.Kind.TRAIN_RECOMMENDER).origin == Job.Origin.COMMAND
    with job_origin(Job.Origin.BEAT):
        assert job_create(kind=Job.Kind.SYNC).get_origin_display() == "the scheduler (beat)"
    assert job_create(kind=Job.Kind.SYNC).origin == Job.Origin.OTHER  # outside it again


def test_an_import_cannot_be_run_again_its_files_are_gone(admin_client, admin_user):
    job = job_create(kind=Job.Kind.IMPORT, created_by=admin_user)
    job_enqueue(job=job, task_name="movies.import_files", queue="nowhere")
    job_fail(job_id=job.pk, error="bad rows")

    page = admin_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()

    assert "Run the whole job again" not in page
    with pytest.raises(JobNotRetryable):
        job_retry(job_id=job.pk)


def test_a_failure_keeps_a_file_names_case(admin_client, admin_user):
    job = job_create(kind=Job.Kind.IMPORT, created_by=admin_user)
    job_start(job_id=job.pk)
    job_fail(job_id=job.pk, error="bad.jsonl:2: the year 'soon' is not a number")

    page = admin_client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()

    assert "bad.jsonl:2: the year" in page and "Bad.jsonl" not in page
