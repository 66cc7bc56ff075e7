"""The "Retrain recommender" path end to end: admin button -> Job -> a real Celery worker
(Redis db 6, a queue of this test's own) -> a new active TrainedModel."""

import time
import uuid

import pytest
from django.urls import reverse

from bench.processes import CeleryWorker
from jobs.models import Job
from recommendations.models import TrainedModel
from tests.conftest import celery_app_using, database_url_of_tests

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
REDIS_URL = "redis://127.0.0.1:6379/6"


@pytest.fixture
def celery_worker(tmp_path):
    queue = f"recs-test-{uuid.uuid4().hex[:8]}"
    worker = CeleryWorker(
        queue=queue,
        broker_url=REDIS_URL,
        pool="solo",
        log_path=tmp_path / "worker.log",
        env={
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": database_url_of_tests(),
            "RECSYS_DATA_DIR": str(tmp_path),  # its own models dir and (empty) vector store
            "RECSYS_CACHE_PREFIX": queue,
        },
    ).start()
    with celery_app_using(REDIS_URL, queue):
        yield worker
    worker.stop(timeout=60)


def test_the_admin_button_trains_a_new_active_recommender(admin_client, celery_worker, ratings):
    response = admin_client.post(
        reverse("admin:recommendations_heavy_action", args=["retrain-recommender"])
    )
    job = Job.objects.get(kind=Job.Kind.TRAIN_RECOMMENDER)
    assert response.status_code == 302 and response.url.endswith(f"/job/{job.pk}/change/")

    deadline = time.monotonic() + 120
    while job.is_active and time.monotonic() < deadline and celery_worker.alive():
        time.sleep(0.5)
        job.refresh_from_db()

    assert job.status == Job.Status.SUCCEEDED, job.log
    assert (job.done, job.total, job.percent) == (4, 4, 100)
    active = TrainedModel.objects.get(kind=TrainedModel.Kind.RECOMMENDER, is_active=True)
    assert job.result["version"] == active.version
    assert active.metrics["interactions"] == ratings


@pytest.mark.django_db(transaction=False)
def test_a_training_cancelled_midway_stops_before_saving_a_version(
    ratings, models_dir, monkeypatch, django_capture_on_commit_callbacks
):
    """A curator cancels while the worker trains: the next step boundary stops it, and no new
    version is saved or activated (the cancel is not undone by a late finish)."""
    from jobs import services as jobs_services
    from recommendations.lab_jobs import recommender_train_enqueue
    from recommendations.recommenders import tasks

    with django_capture_on_commit_callbacks(execute=False):
        job = recommender_train_enqueue()

    advance = jobs_services.job_advance

    def advance_then_cancel(**kwargs) -> None:  # the curator's click, after the first step
        advance(**kwargs)
        jobs_services.job_cancel(job_id=job.pk)

    # the task reports through recommendations.lab.progress.JobProgress
    monkeypatch.setattr(jobs_services, "job_advance", advance_then_cancel)
    tasks.train_recommender.apply(args=[job.pk])

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert "stopped: cancelled before a version was saved" in job.log
    assert not TrainedModel.objects.filter(kind=TrainedModel.Kind.RECOMMENDER).exists()
