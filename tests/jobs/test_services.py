from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from jobs.models import Job
from jobs.services import (
    job_advance,
    job_claim,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    jobs_redispatch,
)
from tests.brokers import DEAD_BROKER_URL, celery_broker

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_DB = 14  # a database of its own: other suites' workers must not take these messages
QUEUE = "test-jobs-dispatch"


@pytest.fixture
def redis_broker(settings):
    """Celery pointed at a real Redis database and a queue nobody consumes, emptied after."""
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    with celery_broker(url, queue=QUEUE):
        yield client
    client.flushdb()


@pytest.fixture
def dead_broker():
    with celery_broker(DEAD_BROKER_URL):
        yield


def test_progress_counts_add_up_and_finish_records_the_result():
    job = job_create(kind=Job.Kind.SYNC, total=10)
    job_advance(job_id=job.pk, done=3)
    job_advance(job_id=job.pk, done=2, failed=1)
    job_finish(job_id=job.pk, result={"indexed": 5})
    job.refresh_from_db()
    assert (job.done, job.failed, job.percent) == (5, 1, 60)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"indexed": 5}


def test_failing_a_job_keeps_the_reason_in_its_log():
    job = job_create(kind=Job.Kind.SCRAPE)
    job_fail(job_id=job.pk, error="imdb.com answered 503")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "imdb.com answered 503" in job.log


def test_a_job_is_claimed_once_however_often_its_message_arrives():
    job = job_create(kind=Job.Kind.SYNC)
    assert job_claim(job_id=job.pk) is True
    assert job_claim(job_id=job.pk) is False
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING


def test_enqueue_with_the_broker_down_keeps_the_job_queued_and_raises_nothing(dead_broker):
    job = job_create(kind=Job.Kind.SYNC)
    job_enqueue(job=job, task_name="recsys.example", task_kwargs={"movie_ids": [1]})
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.dispatched_at is None
    assert job.task_kwargs == {"job_id": job.pk, "movie_ids": [1]}


def test_redispatch_sends_jobs_that_never_reached_the_broker(redis_broker):
    never_sent = job_create(kind=Job.Kind.SYNC)
    Job.objects.filter(pk=never_sent.pk).update(task_name="recsys.example")
    just_sent = job_create(kind=Job.Kind.SYNC)
    Job.objects.filter(pk=just_sent.pk).update(
        task_name="recsys.example", dispatched_at=timezone.now()
    )
    lost = job_create(kind=Job.Kind.SYNC)
    Job.objects.filter(pk=lost.pk).update(
        task_name="recsys.example", dispatched_at=timezone.now() - timedelta(hours=1)
    )
    running = job_create(kind=Job.Kind.SYNC)
    Job.objects.filter(pk=running.pk).update(task_name="recsys.example", status="running")

    assert jobs_redispatch() == 2
    assert redis_broker.llen(QUEUE) == 2
    assert Job.objects.get(pk=never_sent.pk).dispatched_at is not None
