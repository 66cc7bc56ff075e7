"""Celery task: train a reranker version (recommendations.lab.reranker), progress and log on
its Job row. The lab is imported in the task's body: a web process imports this module only
to queue the task."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_reranker_task(self, job_id: int) -> dict:
    from recommendations.lab.reranker import reranker_train, training_request
    from recommendations.lab.training_jobs import recipe_training_job_run

    return recipe_training_job_run(
        job_id=job_id, training_request=training_request, train=reranker_train
    )
