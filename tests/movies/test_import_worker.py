"""The admin import end to end: upload -> a Job -> a real Celery worker (Redis) imports the
saved file in one transaction -> the films exist and are indexed."""

import pytest
from django.urls import reverse

from bench.processes import wait_until
from jobs.models import Job
from movies.models import Movie
from movies.services import import_folder
from tests.movies.conftest import HEAT_JSONL, write_jsonl

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_admin_upload_is_imported_by_a_real_worker_with_progress(
    celery_stack, admin_client, tmp_path
):
    celery_stack.start_worker()
    path = write_jsonl(tmp_path / "catalogue.jsonl", [HEAT_JSONL, {"title": "Ronin"}])

    with path.open("rb") as upload:
        response = admin_client.post(
            reverse("admin:movies_movie_import"), {"format": "jsonl", "files": [upload]}
        )

    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert reverse("jobs:progress", args=[job.pk]) in response.content.decode()
    wait_until(lambda: not Job.objects.get(pk=job.pk).is_active, timeout=120, what="the import job")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    assert "validated; writing 2 rows" in job.log
    assert set(Movie.objects.values_list("title", flat=True)) == {"Heat", "Ronin"}
    assert not import_folder(job.pk).exists()
    wait_until(
        lambda: Movie.objects.filter(index_state="indexed").count() == 2,
        timeout=120,
        what="the imported films indexed by the same worker",
    )
