import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.services import job_advance, job_commit_batch, job_complete_if_done, job_create, job_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(admin_user):
    job = job_create(kind=Job.Kind.SYNC, created_by=admin_user)
    job_start(job_id=job.pk, total=10)
    job_advance(job_id=job.pk, done=4, failed=1)
    return Job.objects.get(pk=job.pk)


def test_the_progress_partial_shows_a_live_bar_to_staff_only(client, admin_client, running_job):
    url = reverse("jobs:progress", args=[running_job.pk])

    assert client.get(url).status_code == 302  # to the admin login
    html = admin_client.get(url).content.decode()

    assert 'aria-valuenow="50"' in html and 'style="width: 50%"' in html
    assert "4 done" in html and "1 failed" in html
    assert 'hx-trigger="every 1s"' in html  # keeps polling while the job runs


def test_a_finished_job_stops_polling_and_lists_its_failures(admin_client, running_job):
    with_errors = [{"object_id": 7, "label": "Heat", "error": "ConnectError: refused"}]
    from django.db import transaction

    with transaction.atomic():
        job_commit_batch(job_id=running_job.pk, batch_key="0", done=5, errors=with_errors)
    assert job_complete_if_done(job_id=running_job.pk)

    html = admin_client.get(reverse("jobs:progress", args=[running_job.pk])).content.decode()

    assert "hx-trigger" not in html
    assert "Heat" in html and "ConnectError: refused" in html
    assert Job.objects.get(pk=running_job.pk).status == Job.Status.FAILED


def test_the_job_list_in_admin_embeds_the_running_jobs_panel(admin_client, running_job):
    html = admin_client.get(reverse("admin:jobs_job_changelist")).content.decode()

    assert reverse("jobs:running") in html and "Running jobs" in html
    assert f"job-{running_job.pk}-progress" in html
    page = admin_client.get(reverse("admin:jobs_job_change", args=[running_job.pk]))
    assert reverse("jobs:panel", args=[running_job.pk]) in page.content.decode()


def test_a_batch_is_counted_once_however_often_it_is_committed(running_job):
    from django.db import transaction

    with transaction.atomic():
        first = job_commit_batch(job_id=running_job.pk, batch_key="3", done=2)
    with transaction.atomic():
        again = job_commit_batch(job_id=running_job.pk, batch_key="3", done=2)

    assert (first, again) == (True, False)
    assert Job.objects.get(pk=running_job.pk).done == 6


def test_a_jobs_error_text_is_shown_only_to_users_allowed_to_see_that_job(
    client, admin_client, admin_user, running_job
):
    from django.contrib.auth.models import Permission, User
    from django.db import transaction

    with transaction.atomic():
        job_commit_batch(
            job_id=running_job.pk,
            batch_key="0",
            errors=[{"object_id": 7, "label": "Heat", "error": "OperationalError: db.internal"}],
        )
    staff = User.objects.create_user("jobs-viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(staff)
    progress = reverse("jobs:progress", args=[running_job.pk])
    pages = [
        progress,
        reverse("jobs:running"),
        reverse("admin:jobs_job_change", args=[running_job.pk]),
    ]

    for url in pages:
        assert "db.internal" not in client.get(url).content.decode(), url
        assert "db.internal" in admin_client.get(url).content.decode(), url  # superuser
    assert "1 failed" in client.get(progress).content.decode()  # the count stays visible

    staff.user_permissions.add(Permission.objects.get(codename="change_movie"))  # a sync's films
    staff = User.objects.get(pk=staff.pk)  # a fresh permission cache
    client.force_login(staff)
    assert "db.internal" in client.get(progress).content.decode()
