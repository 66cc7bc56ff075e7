"""Writes around the recommender: queue a training job, by a curator or when enough new
feedback has come in since the active version (the beat task)."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import JobAlreadyActive, job_create, job_enqueue
from recommendations.models import TrainedModel
from recommendations.recommenders.training import STEPS
from viewers.models import Reaction

# Held while one process decides whether to queue a retrain: two beat ticks (or a tick and a
# curator's click) must not both find "no retrain running" and queue one each.
RETRAIN_LOCK = "recommender-retrain-lock"
RETRAIN_LOCK_SECONDS = 60
# After a retrain failed, the beat waits this long before trying again (a broken training run
# must not be queued every few minutes; a curator can still retrain from the admin).
RETRAIN_FAILURE_BACKOFF = timedelta(hours=1)


# A training job still "running" after this long has lost its worker: it blocks no retrain.
STALE_TRAINING = timedelta(hours=2)


def training_in_progress() -> Job | None:
    """The recommender training job queued or running now, if any."""
    jobs = Job.objects.filter(kind=Job.Kind.TRAIN_RECOMMENDER)
    queued = jobs.filter(status=Job.Status.QUEUED)
    running = jobs.filter(
        status=Job.Status.RUNNING, started_at__gte=timezone.now() - STALE_TRAINING
    )
    return (queued | running).order_by("created_at").first()


@transaction.atomic
def recommender_train_enqueue(*, created_by=None, params: dict | None = None) -> Job:
    """Queue a training job; refused (JobAlreadyActive, naming it) while one is queued or
    running: each holds about 1 GB. A job "running" past STALE_TRAINING has lost its worker
    and blocks nothing."""
    from recommendations.recommenders.tasks import train_recommender

    if (current := training_in_progress()) is not None:
        raise JobAlreadyActive(current)
    job = job_create(
        kind=Job.Kind.TRAIN_RECOMMENDER, total=len(STEPS), created_by=created_by, params=params
    )
    job_enqueue(job=job, task_name=train_recommender.name)
    return job


def feedback_since_active_recommender() -> int:
    """Likes and dislikes given (or changed) since the active recommender was trained; all of
    them when none is trained."""
    active = (
        TrainedModel.objects.filter(kind=TrainedModel.Kind.RECOMMENDER, is_active=True)
        .values_list("created_at", flat=True)
        .first()
    )
    reactions = Reaction.objects.all()
    if active is not None:
        reactions = reactions.filter(created_at__gt=active)
    return reactions.count()


def recommender_retrain_if_due() -> Job | None:
    """Queue one retrain when RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK new reactions have come in, no
    retrain is queued or running and none failed in the last hour; None otherwise. Idempotent:
    safe to call from every tick."""
    if not cache.add(RETRAIN_LOCK, 1, timeout=RETRAIN_LOCK_SECONDS):
        return None  # another process is deciding right now
    try:
        if training_in_progress() is not None:
            return None
        failed_lately = Job.objects.filter(
            kind=Job.Kind.TRAIN_RECOMMENDER,
            status=Job.Status.FAILED,
            finished_at__gte=timezone.now() - RETRAIN_FAILURE_BACKOFF,
        )
        if failed_lately.exists():
            return None
        new_feedback = feedback_since_active_recommender()
        if new_feedback < settings.RECSYS_RECOMMENDER_RETRAIN_MIN_FEEDBACK:
            return None
        return recommender_train_enqueue(
            params={"trigger": "new feedback", "new_feedback": new_feedback}
        )
    finally:
        cache.delete(RETRAIN_LOCK)
