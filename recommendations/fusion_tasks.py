"""Celery task: train a learned-fusion version (recommendations.lab.fusion), progress and log
on its Job row (recommendations.lab.training_job, as the reranker's). The lab is imported in
the task's body: a web process imports this module only to queue the task."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_fusion_task(self, job_id: int) -> dict:
    from recommendations.lab.fusion import FusionRequest, fusion_train
    from recommendations.lab.fusion_training import Recipe
    from recommendations.lab.reranker_data import limit_torch_threads
    from recommendations.lab.training_job import run_training_job

    def train(job, progress):
        limit_torch_threads()
        recipe = Recipe.tiny() if job.params.get("recipe") == "tiny" else Recipe()
        request = FusionRequest(recipe=recipe, queries=Path(job.params["queries"]))
        return fusion_train(request=request, progress=progress)

    return run_training_job(job_id, train)
