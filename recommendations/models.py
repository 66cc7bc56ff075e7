"""Versioned trained models (the reranker, the recommender, the retriever): artifacts on disk under
RECSYS_DATA_DIR/models, described and activated here."""

from django.db import models


class TrainedModel(models.Model):
    class Kind(models.TextChoices):
        RERANKER = "reranker", "Cross-encoder reranker"
        RECOMMENDER = "recommender", "Recommender"
        FUSION = "fusion", "Learned fusion"
        RETRIEVER = "retriever", "Fine-tuned retriever (bi-encoder)"

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    version = models.CharField(max_length=64)
    path = models.CharField(max_length=500, help_text="Artifact directory under MODELS_DIR.")
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    data_hash = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="trained_model_version"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(is_active=True),
                name="trained_model_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}{' (active)' if self.is_active else ''}"


class Evaluation(models.Model):
    """One run of `evaluate` (search: figures per pipeline stage) or `evaluate_recs`
    (recommenders: figures per scenario and method), kept so the admin dashboard can show how
    quality moved between model versions."""

    class Kind(models.TextChoices):
        SEARCH = "search", "Search (known-item queries)"
        RECOMMENDER = "recommender", "Recommenders (MovieLens split)"

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    # What produced the figures: the reranker behind the reranked stage, the embedding model.
    reranker = models.CharField(max_length=128, blank=True)
    retriever = models.CharField(max_length=128, blank=True)
    queries = models.PositiveIntegerField(default=0, help_text="queries or users evaluated")
    figures = models.JSONField(default=dict)
    source = models.CharField(max_length=255, blank=True, help_text="the evaluation data")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL)
    duration_s = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SearchLatencyBatch(models.Model):
    """Search response times, written by each web process at most once per
    RECSYS_SEARCH_LATENCY_FLUSH_EVERY searches (recommendations/latency.py): the dashboard's
    percentiles of the last hour, at the cost of one INSERT per batch on the search path.
    Searches answered from the result cache are counted apart, not sampled."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    samples_ms = models.JSONField(default=list)
    cache_hits = models.PositiveIntegerField(
        default=0, help_text="Searches of the batch answered from the result cache (no sample)."
    )

    def __str__(self) -> str:
        return f"{len(self.samples_ms)} searches before {self.created_at:%H:%M:%S}"
