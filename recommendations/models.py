"""Versioned trained models (the reranker, the recommender): artifacts on disk under
RECSYS_DATA_DIR/models, described and activated here."""

from django.db import models


class TrainedModel(models.Model):
    class Kind(models.TextChoices):
        RERANKER = "reranker", "Cross-encoder reranker"
        RECOMMENDER = "recommender", "Recommender"

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
