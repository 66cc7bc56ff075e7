"""Reads of Job rows for the admin's live progress panels."""

import json
from datetime import timedelta

from django.utils import timezone

from jobs.models import Job

RECENT_FAILURES = timedelta(hours=24)


# A job's error text and log can carry hosts, paths and upstream messages. Who may read them:
# a superuser, the job's creator, or whoever may change what that kind of job changes.
KIND_PERMISSION = {
    Job.Kind.SYNC: "movies.change_movie",
    Job.Kind.REEMBED: "movies.change_movie",
    Job.Kind.REBUILD: "movies.change_movie",
    Job.Kind.IMPORT: "movies.add_movie",
    Job.Kind.SCRAPE: "scraping.change_scraperesult",
    Job.Kind.TRAIN_RERANKER: "recommendations.change_trainedmodel",
    Job.Kind.TRAIN_RECOMMENDER: "recommendations.change_trainedmodel",
    Job.Kind.EVALUATE: "recommendations.change_trainedmodel",
    Job.Kind.EVALUATE_RECS: "recommendations.change_trainedmodel",
}


def job_details_visible(*, user, job: Job) -> bool:
    """May this user read the job's error text and log?"""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser or (job.created_by_id is not None and job.created_by_id == user.pk):
        return True
    permission = KIND_PERMISSION.get(job.kind)
    return permission is not None and user.has_perm(permission)


def jobs_with_visible_details(*, user, jobs) -> set[int]:
    return {job.pk for job in jobs if job_details_visible(user=user, job=job)}


def jobs_running_and_failed(*, user=None, running: int = 20, failed: int = 5) -> dict:
    """Jobs queued or running, and jobs that failed in the last day (newest first), with the
    ids of those whose errors the user may read (none without a user)."""
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    recent_failures = Job.objects.filter(
        status=Job.Status.FAILED, finished_at__gte=timezone.now() - RECENT_FAILURES
    )
    jobs, failures = list(active[:running]), list(recent_failures[:failed])
    visible = set() if user is None else jobs_with_visible_details(user=user, jobs=jobs + failures)
    return {"jobs": jobs, "failed": failures, "errors_visible": visible}


LOG_TAIL_LINES = 12
ERRORS_SHOWN = 20


def job_rate_and_eta(job: Job) -> tuple[float | None, float | None]:
    """Items a second since the job started, and seconds left at that rate (None when unknown)."""
    elapsed = job.duration_seconds
    if job.phase_started_at:  # done/total count this phase only
        end = job.finished_at or timezone.now()
        elapsed = (end - job.phase_started_at).total_seconds()
    processed = job.done + job.failed
    if not elapsed or not processed:
        return None, None
    rate = processed / elapsed
    if not job.is_active or not job.total:
        return rate, None
    return rate, max(0.0, (job.total - processed) / rate)


def job_panel(*, user, job: Job) -> dict:
    """Everything the job's live panel shows, read in one place so every field refreshes."""
    from jobs.errors import error_display

    rate, eta = job_rate_and_eta(job)
    visible = job_details_visible(user=user, job=job)
    log_lines = job.log.strip().splitlines() if visible else []
    errors = [
        {"label": e.get("label", ""), "object_id": e.get("object_id"), **error_display(e["error"])}
        for e in (job.errors[:ERRORS_SHOWN] if visible else [])
        if isinstance(e, dict) and "error" in e
    ]
    failure = next((line for line in reversed(log_lines) if "failed: " in line), "")
    return {
        "job": job,
        "rate": rate,
        "rate_text": f"{rate:.2f} items/s"
        if rate is not None and rate < 10
        else (f"{rate:.0f} items/s" if rate is not None else "—"),
        "eta": eta,
        "eta_text": human_seconds(eta) if eta is not None else "—",
        "elapsed_text": human_seconds(job.duration_seconds)
        if job.duration_seconds is not None
        else "not started",
        "details_visible": visible,
        "log_tail": log_lines[-LOG_TAIL_LINES:],
        "result_text": json.dumps(job.result, indent=1)[:4000] if visible else "",
        "log_more": max(0, len(log_lines) - LOG_TAIL_LINES),
        "errors": errors,
        "failure": error_display(failure.split("failed: ", 1)[1]) if failure else None,
        "retryable": not job.is_active and job_rerunnable(job),
        "retry_failed": job_retry_failed_supported(job),
    }


# An import's uploaded files are removed once it has run: it cannot be run again as it was.
NOT_RERUNNABLE = frozenset({Job.Kind.IMPORT})


def job_rerunnable(job: Job) -> bool:
    """Can the whole job run again: it records its task, and its inputs outlive it."""
    return bool(job.task_name) and job.kind not in NOT_RERUNNABLE


def job_retry_failed_supported(job: Job) -> bool:
    from jobs.services import RETRY_FAILED, job_failed_object_ids

    return not job.is_active and job.kind in RETRY_FAILED and bool(job_failed_object_ids(job))


def job_usual_duration(*, kind: str, last: int = 5) -> dict | None:
    """How long the last finished jobs of this kind took: {"last": s, "median": s, "count": n,
    "when": datetime} or None when none has succeeded yet (for confirmation pages)."""
    finished = list(
        Job.objects.filter(kind=kind, status=Job.Status.SUCCEEDED, started_at__isnull=False)
        .exclude(finished_at__isnull=True)
        .order_by("-finished_at")
        .only("started_at", "finished_at")[:last]
    )
    if not finished:
        return None
    seconds = sorted((j.finished_at - j.started_at).total_seconds() for j in finished)
    return {
        "last": (finished[0].finished_at - finished[0].started_at).total_seconds(),
        "median": seconds[len(seconds) // 2],
        "count": len(finished),
        "when": finished[0].finished_at,
    }


def human_seconds(seconds: float) -> str:
    """3.2 s, 4 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
