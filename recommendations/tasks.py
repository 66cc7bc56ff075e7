"""Celery tasks of this app (autodiscovered)."""

from recommendations.rerank.tasks import train_reranker_task  # noqa: F401
