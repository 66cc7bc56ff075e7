"""Celery task: train a learned-fusion version (recommendations.lab.fusion), progress and log
on its Job row (recommendations.lab.training_jobs, as the reranker's and the retriever's). The
lab is imported in the task's body: a web process imports this module only to queue the task."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=0)
def train_fusion_task(self, job_id: int) -> dict:
    from recommendations.lab.fusion import FusionRequest, fusion_train
    from recommendations.lab.fusion_training import Recipe
    from recommendations.lab.training_jobs import training_job_run

    def train(job, progress):
        recipe = Recipe.tiny() if job.params.get("recipe") == "tiny" else Recipe()
        request = FusionRequest(recipe=recipe, queries=Path(job.params["queries"]))
        return fusion_train(request=request, progress=progress)

    return training_job_run(job_id=job_id, train=train)
