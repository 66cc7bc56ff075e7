"""Celery task: train a reranker version (recommendations.lab.reranker), progress and log on
its Job row. The lab is imported in the task's body: a web process imports this module only
to queue the task."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_reranker_task(self, job_id: int) -> dict:
    from recommendations.lab.reranker import reranker_train, training_request
    from recommendations.lab.reranker_data import limit_torch_threads
    from recommendations.lab.training_job import run_training_job

    def train(job, progress):
        limit_torch_threads()
        request = training_request(recipe_name=job.params.get("recipe"))
        return reranker_train(request=request, progress=progress)

    return run_training_job(job_id, train)
