"""What a scrape found for one film, kept for a curator to review before anything changes."""

from django.conf import settings
from django.db import models


class ScrapeResult(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.CASCADE, related_name="scrape_results"
    )
    movie = models.ForeignKey(
        "movies.Movie", on_delete=models.CASCADE, related_name="scrape_results"
    )
    imdb_id = models.CharField("IMDb id", max_length=16)
    url = models.URLField(max_length=500)
    fetcher = models.CharField(max_length=8, blank=True, help_text="http or browser")
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # {"jsonld": {...}, "next_data": {...}, "testid": {...}}: what each reader found.
    raw = models.JSONField(default=dict, blank=True)
    # The merged values ({"title": ..., "genres": [...], ...}) and which reader gave each.
    fields = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=dict, blank=True)
    # {field: {"old": ..., "new": ...}} for the fields that differ from the film when scraped.
    diff = models.JSONField(default=dict, blank=True)
    missing_fields = models.JSONField(default=list, blank=True)
    applied_fields = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "movie"], name="scrape_result_one_per_job_movie")
        ]

    def __str__(self) -> str:
        return f"IMDb {self.imdb_id} for {self.movie} ({self.get_status_display()})"


class HostThrottle(models.Model):
    """A lease per host: one request at a time to a host, and a pause between requests,
    across every worker process (a conditional UPDATE, so it works on SQLite and PostgreSQL)."""

    host = models.CharField(max_length=255, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_request_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.host
