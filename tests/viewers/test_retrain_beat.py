"""The recommender retrains by itself: a beat task queues one retrain (a Job) once enough new
likes and dislikes have come in since the active version, never two at once, none below the
threshold. The end-to-end test runs a real Celery worker with beat (Redis, a queue of its own)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.processes import wait_until
from jobs.models import Job
from jobs.services import JobAlreadyActive
from recommendations.lab_jobs import (
    feedback_since_active_recommender,
    recommender_retrain_if_due,
    recommender_train_enqueue,
)
from recommendations.models import TrainedModel
from tests.factories import MovieFactory
from viewers.models import Rating, Reaction

TRAIN = Job.Kind.TRAIN_RECOMMENDER


def _films(n: int = 6) -> list:
    return [MovieFactory(title=f"Film {i}") for i in range(n)]


def _react(films, viewer: str, value: int = Reaction.Value.LIKE) -> None:
    for film in films:
        Reaction.objects.create(anonymous_id=viewer, movie=film, value=value)


@pytest.mark.django_db
def test_a_retrain_is_queued_once_at_the_threshold_and_not_below(settings):
    settings.RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK = 3
    films = _films(4)
    _react(films[:2], "a")

    assert recommender_retrain_if_due() is None  # 2 new reactions, below 3
    _react(films[2:3], "b", Reaction.Value.DISLIKE)  # dislikes count as feedback too
    job = recommender_retrain_if_due()

    assert job is not None and job.kind == TRAIN and job.params["new_feedback"] == 3
    assert recommender_retrain_if_due() is None  # one is queued: never a second
    assert Job.objects.filter(kind=TRAIN).count() == 1


@pytest.mark.django_db
def test_a_curators_retrain_during_a_running_one_is_refused_unless_that_one_is_stale():
    first = recommender_train_enqueue()
    with pytest.raises(JobAlreadyActive) as queued:  # queued: no second job
        recommender_train_enqueue()
    assert queued.value.job == first
    Job.objects.filter(pk=first.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    with pytest.raises(JobAlreadyActive) as running:
        recommender_train_enqueue()
    assert running.value.job == first
    Job.objects.filter(pk=first.pk).update(started_at=timezone.now() - timedelta(hours=3))
    assert recommender_train_enqueue() != first  # its worker died long ago
    assert Job.objects.filter(kind=TRAIN).count() == 2


@pytest.mark.django_db
def test_after_a_failed_retrain_the_beat_waits_before_trying_again(settings):
    settings.RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK = 1
    _react(_films(1), "a")
    job = recommender_retrain_if_due()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, finished_at=timezone.now())

    assert recommender_retrain_if_due() is None
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=2))
    assert recommender_retrain_if_due() is not None


@pytest.mark.django_db
def test_only_feedback_after_the_active_model_counts(settings):
    films = _films(3)
    _react(films, "a")
    TrainedModel.objects.create(
        kind=TrainedModel.Kind.RECOMMENDER, version="v1", path="x", is_active=True
    )
    assert feedback_since_active_recommender() == 0
    Reaction.objects.filter(movie=films[0]).update(created_at=timezone.now())
    assert feedback_since_active_recommender() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_beat_retrains_after_enough_new_feedback_and_not_before(celery_stack):
    films = _films()
    Rating.objects.bulk_create(
        Rating(source="movielens", rater=r, movie=f, score=4.0, rated_at=timezone.now())
        for r in range(3)
        for f in films
    )
    _react(films[:3], "viewer-1")  # 3 new reactions: the threshold
    celery_stack.use_broker("redis")
    celery_stack.start_worker(
        beat=True,
        env={
            "RECSYS_RECOMMENDER_RETRAIN_CHECK_SECONDS": "1",
            "RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK": "3",
            "RECSYS_INDEX_SWEEP_SECONDS": "3600",  # no indexing work in this test
        },
    )
    jobs = Job.objects.filter(kind=TRAIN)

    first = wait_until(
        lambda: jobs.filter(status=Job.Status.SUCCEEDED).first(),
        timeout=120,
        interval=0.5,
        what="the beat's retrain",
    )
    active = TrainedModel.objects.get(kind=TrainedModel.Kind.RECOMMENDER, is_active=True)
    assert first.result["version"] == active.version and first.params["new_feedback"] == 3

    _react(films[3:5], "viewer-2")  # 2 more: below the threshold
    time.sleep(5)  # several beat ticks
    assert jobs.count() == 1

    _react(films[5:], "viewer-2")  # the third since the model: a second retrain
    wait_until(
        lambda: jobs.filter(status=Job.Status.SUCCEEDED).count() == 2,
        timeout=120,
        interval=0.5,
        what="the second retrain",
    )
    assert jobs.count() == 2
