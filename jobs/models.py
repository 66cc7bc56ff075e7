"""A record of each long-running piece of background work, for curators to watch in admin."""

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        SYNC = "sync", "Index sync"
        REEMBED = "reembed", "Re-embed films"
        REBUILD = "rebuild", "Rebuild index"
        SCRAPE = "scrape", "Scrape IMDb"
        TRAIN_RERANKER = "train_reranker", "Train reranker"
        TRAIN_RECOMMENDER = "train_recommender", "Train recommender"
        TRAIN_FUSION = "train_fusion", "Train learned fusion"
        TRAIN_RETRIEVER = "train_retriever", "Train retriever"
        IMPORT = "import", "Import catalogue"
        EVALUATE = "evaluate", "Evaluate search"
        EVALUATE_RECS = "evaluate_recs", "Evaluate recommenders"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Origin(models.TextChoices):
        ADMIN = "admin", "an admin action"
        COMMAND = "command", "a management command"
        BEAT = "beat", "the scheduler (beat)"
        SAVE = "save", "a film edit"
        RETRY = "retry", "a retry"
        OTHER = "", "the system"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Where the job was started from, beside who started it (the admin's "Created by").
    origin = models.CharField(max_length=16, choices=Origin.choices, blank=True, default="")
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"object_id": ..., "label": ..., "error": ...}, ...]: one entry per item that failed.
    errors = models.JSONField(default=list, blank=True)
    log = models.TextField(blank=True)
    # The Celery task that runs this job, kept so that a job whose message never reached the
    # broker (or was lost with it) can be sent again: see jobs.services.job_enqueue.
    task_name = models.CharField(max_length=200, blank=True)
    task_kwargs = models.JSONField(default=dict, blank=True)
    task_queue = models.CharField(max_length=100, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # Jobs in phases (a training: mining, fitting, evaluating) restart done/total per phase;
    # rate and time left are then measured from the phase's start.
    phase = models.CharField(max_length=200, blank=True)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # No status: the name shows in headings and breadcrumbs that do not refresh as it runs.
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else 0
        return min(100, round(100 * (self.done + self.failed) / self.total))

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
