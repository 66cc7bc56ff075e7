"""Writes to Job rows. Progress updates are single UPDATE statements so that concurrent
workers never overwrite each other's counts.

A job is recorded first and sent to Celery after commit (job_enqueue). If the broker is down,
the job stays queued and jobs_redispatch (a periodic task) sends it once the broker is back;
the task claims the job (job_claim) so that a message sent twice runs it once.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from jobs.dispatch import BrokerUnreachable, task_send
from jobs.models import Job
from jobs.selectors import job_rerunnable

logger = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 500
# A queued job whose message was sent this long ago but never started was lost with the broker.
REDISPATCH_AFTER = timedelta(minutes=10)


ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)
# Where jobs created in this context come from (a command, the beat scheduler, a film edit),
# for the code paths that create jobs deep inside services with no user to name.
_origin: ContextVar[str | None] = ContextVar("job_origin", default=None)


@contextmanager
def job_origin(origin: str) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def job_create(
    *,
    kind: str,
    params: dict | None = None,
    total: int = 0,
    created_by=None,
    origin: str | None = None,
    retry_of: Job | None = None,
) -> Job:
    """origin says where the job was started from (Job.Origin); by default the enclosing
    job_origin(...), else an admin action when a user started it, else the system."""
    if origin is None:
        origin = _origin.get() or (Job.Origin.ADMIN if created_by is not None else Job.Origin.OTHER)
    return Job.objects.create(
        kind=kind,
        params=params or {},
        total=total,
        created_by=created_by,
        origin=origin,
        retry_of=retry_of,
    )


class JobAlreadyActive(Exception):
    """A job of this kind is already queued or running; a second one is refused."""

    def __init__(self, job: Job):
        super().__init__(f"{job.get_kind_display()} is already {job.status} as job #{job.pk}")
        self.job = job


@transaction.atomic
def job_create_exclusive(
    *, kind: str, params: dict | None = None, total: int = 0, created_by=None, origin=None
) -> Job:
    """job_create, refused (JobAlreadyActive) while a job of this kind is queued or running:
    for work that is costly to run twice at once (a training run holds about 1 GB). On SQLite
    the IMMEDIATE transaction makes the check and the insert one step."""
    active = (
        Job.objects.filter(kind=kind, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .order_by("created_at")
        .first()
    )
    if active is not None:
        raise JobAlreadyActive(active)
    return job_create(kind=kind, params=params, total=total, created_by=created_by, origin=origin)


def job_start(*, job_id: int, total: int | None = None) -> None:
    fields: dict = {"status": Job.Status.RUNNING}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=timezone.now())
    Job.objects.filter(pk=job_id, status__in=ACTIVE).update(**fields)  # never revive a cancel


def job_set_total(*, job_id: int, total: int) -> None:
    Job.objects.filter(pk=job_id).update(total=total)


def job_advance(*, job_id: int, done: int = 0, failed: int = 0) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + done, failed=F("failed") + failed)


@transaction.atomic
def job_record_errors(*, job_id: int, errors: list[dict]) -> None:
    if not errors:
        return
    job = Job.objects.select_for_update().get(pk=job_id)
    job.errors = (job.errors + errors)[:MAX_ERRORS_KEPT]
    job.save(update_fields=["errors"])


@transaction.atomic
def job_log(*, job_id: int, line: str) -> None:
    job = Job.objects.select_for_update().get(pk=job_id)
    stamp = timezone.now().strftime("%H:%M:%S")
    job.log += f"[{stamp}] {line}\n"
    job.save(update_fields=["log"])


def job_finish(*, job_id: int, result: dict | None = None) -> None:
    fields: dict = {"status": Job.Status.SUCCEEDED, "finished_at": timezone.now()}
    if result is not None:
        fields["result"] = result
    Job.objects.filter(pk=job_id, status__in=ACTIVE).update(**fields)


def job_fail(*, job_id: int, error: str) -> None:
    job_log(job_id=job_id, line=f"failed: {error}")
    Job.objects.filter(pk=job_id, status__in=ACTIVE).update(
        status=Job.Status.FAILED, finished_at=timezone.now()
    )


def job_enqueue(
    *, job: Job, task_name: str, task_kwargs: dict | None = None, queue: str = ""
) -> None:
    """Record which task runs the job and send it once the current transaction commits."""
    kwargs = {"job_id": job.pk, **(task_kwargs or {})}
    Job.objects.filter(pk=job.pk).update(task_name=task_name, task_kwargs=kwargs, task_queue=queue)
    job.task_name, job.task_kwargs, job.task_queue = task_name, kwargs, queue
    transaction.on_commit(lambda: job_send(job_id=job.pk))


def job_send(*, job_id: int) -> bool:
    """Publish the job's task. A broker outage is logged, never raised: the job stays queued."""
    job = Job.objects.get(pk=job_id)
    try:
        task_send(job.task_name, kwargs=job.task_kwargs, queue=job.task_queue)
    except BrokerUnreachable as exc:
        logger.warning("job %s stays queued, the broker is unreachable: %s", job_id, exc)
        return False
    Job.objects.filter(pk=job_id).update(dispatched_at=timezone.now())
    return True


def job_claim(*, job_id: int) -> bool:
    """Move a queued job to running. False if another delivery of its message got there first
    or the job is finished: the caller then does nothing."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    return bool(claimed)


def jobs_redispatch() -> int:
    """Send again every queued job that never reached the broker or was lost with it."""
    stale = timezone.now() - REDISPATCH_AFTER
    waiting = Job.objects.filter(status=Job.Status.QUEUED).exclude(task_name="")
    waiting = waiting.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale))
    return sum(job_send(job_id=job_id) for job_id in waiting.values_list("pk", flat=True))


def job_commit_batch(
    *, job_id: int, batch_key: str, done: int = 0, failed: int = 0, errors: list[dict] | None = None
) -> bool:
    """Count one batch's outcome exactly once, however often its task was delivered.

    Call it inside the transaction that writes the batch's results: False means the batch was
    already counted (a redelivered task) and that transaction should write nothing.
    """
    job = Job.objects.select_for_update().get(pk=job_id)
    counted = job.result.get("batches_done", [])
    if batch_key in counted:
        return False
    job.result = {**job.result, "batches_done": [*counted, batch_key]}
    job.errors = (job.errors + (errors or []))[:MAX_ERRORS_KEPT]
    job.save(update_fields=["result", "errors"])
    Job.objects.filter(pk=job_id).update(done=F("done") + done, failed=F("failed") + failed)
    return True


def job_complete_if_done(*, job_id: int) -> bool:
    """Finish the job once every item is done or failed; True for the one caller that did."""
    finished = (
        Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .filter(total__lte=F("done") + F("failed"))
        .update(
            status=Case(
                When(failed=0, then=Value(Job.Status.SUCCEEDED)), default=Value(Job.Status.FAILED)
            ),
            finished_at=timezone.now(),
        )
    )
    return bool(finished)


# --- Cancel and retry ------------------------------------------------------------------------


def job_cancel(*, job_id: int, cancelled_by=None) -> bool:
    """Stop a queued or running job. A queued job never starts (job_claim skips it); a running
    one stops at its next item or batch (its task checks job_is_cancelled). False if the job
    had already finished."""
    cancelled = Job.objects.filter(pk=job_id, status__in=ACTIVE).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now()
    )
    if cancelled:
        who = getattr(cancelled_by, "username", "") or "the system"
        job_log(job_id=job_id, line=f"cancelled by {who}")
    return bool(cancelled)


class JobCancelled(Exception):
    """Raised inside a job's work when a curator cancelled it, to stop it where it stands."""


def job_start_phase(*, job_id: int, name: str, total: int) -> None:
    """A new phase of a job in phases: done restarts at 0 of total, timed from now."""
    Job.objects.filter(pk=job_id).update(
        phase=name[:200], phase_started_at=timezone.now(), done=0, total=total
    )


def job_is_cancelled(*, job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, status=Job.Status.CANCELLED).exists()


class JobNotRetryable(Exception):
    pass


# kind -> callable(job, created_by) -> Job that reruns only the job's failed items. Apps whose
# jobs know their items register here (scraping: the failed films), so jobs imports none of them.
RETRY_FAILED: dict[str, object] = {}


def job_register_retry_failed(kind: str, retry) -> None:
    RETRY_FAILED[kind] = retry


def job_failed_object_ids(job: Job) -> list[int]:
    return sorted({e["object_id"] for e in job.errors if isinstance(e.get("object_id"), int)})


def job_retry(*, job_id: int, created_by=None, only_failed: bool = False) -> Job:
    """A new job that reruns a finished one: the whole job (same task and arguments), or only
    the items that failed where its kind supports that."""
    job = Job.objects.get(pk=job_id)
    if job.is_active:
        raise JobNotRetryable(f"job #{job.pk} is still {job.status}")
    if only_failed:
        retry = RETRY_FAILED.get(job.kind)
        if retry is None or not job_failed_object_ids(job):
            raise JobNotRetryable(f"{job.get_kind_display()} has no failed items to retry")
        new = retry(job, created_by)
        Job.objects.filter(pk=new.pk).update(origin=Job.Origin.RETRY, retry_of=job)
        new.refresh_from_db()
        return new
    if not job_rerunnable(job):
        raise JobNotRetryable(f"job #{job.pk} cannot be run again as it was")
    new = job_create(
        kind=job.kind,
        params=job.params,
        total=job.total if job.kind == Job.Kind.SCRAPE else 0,
        created_by=created_by,
        origin=Job.Origin.RETRY,
        retry_of=job,
    )
    kwargs = {k: v for k, v in job.task_kwargs.items() if k != "job_id"}
    job_enqueue(job=new, task_name=job.task_name, task_kwargs=kwargs, queue=job.task_queue)
    return new
