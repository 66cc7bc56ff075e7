"""Writes to Job rows. Progress updates are single UPDATE statements so that concurrent
workers never overwrite each other's counts."""

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from jobs.models import Job

MAX_ERRORS_KEPT = 500


def job_create(*, kind: str, params: dict | None = None, total: int = 0, created_by=None) -> Job:
    return Job.objects.create(kind=kind, params=params or {}, total=total, created_by=created_by)


def job_start(*, job_id: int, total: int | None = None) -> None:
    fields: dict = {"status": Job.Status.RUNNING}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=timezone.now())
    Job.objects.filter(pk=job_id).update(**fields)


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
    Job.objects.filter(pk=job_id).update(**fields)


def job_fail(*, job_id: int, error: str) -> None:
    job_log(job_id=job_id, line=f"failed: {error}")
    Job.objects.filter(pk=job_id).update(status=Job.Status.FAILED, finished_at=timezone.now())


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
