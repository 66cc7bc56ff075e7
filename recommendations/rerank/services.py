"""Writes for the reranker: training a version, registering and activating it, queueing a
training job. The command, the admin and the Celery task call these."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.db import transaction

from jobs.models import Job
from jobs.services import job_create, job_enqueue
from recommendations.models import TrainedModel
from recommendations.rerank.data import (
    CandidateSource,
    DenseCandidates,
    PipelineCandidates,
    db_films,
    tmdb_films,
    tomt_queries,
)
from recommendations.rerank.training import Progress, Recipe, train_reranker

# The fused score is a sum of z-scores: a gap of 1 between two films is a large one, where the
# dense cosine's gaps are hundredths (its initial weight is 20).
FUSED_PRIOR_SCALE = 1.0

logger = logging.getLogger(__name__)

RERANKER_DIR = "reranker"
RECIPES = {"default": Recipe, "tiny": Recipe.tiny}


@dataclass(frozen=True)
class TrainingRequest:
    """What to train on. queries: labelled known-item queries (JSON lines like tomt-dev), or
    None for catalogue-generated queries only. tmdb_csv: INTERIM, train on TMDB 5000 from the
    CSV instead of the database catalogue (until the importer is merged)."""

    recipe: Recipe
    queries: Path | None = None
    tmdb_csv: Path | None = None
    activate: bool = False


@transaction.atomic
def trained_model_register(
    *,
    kind: str,
    version: str,
    path: str,
    config: dict,
    metrics: dict,
    data_hash: str,
    activate: bool = False,
) -> TrainedModel:
    model = TrainedModel.objects.create(
        kind=kind, version=version, path=path, config=config, metrics=metrics, data_hash=data_hash
    )
    if activate:
        model = trained_model_activate(model_id=model.pk)
    return model


@transaction.atomic
def trained_model_activate(*, model_id: int) -> TrainedModel:
    """Makes this version the active one of its kind (and no other)."""
    model = TrainedModel.objects.select_for_update().get(pk=model_id)
    TrainedModel.objects.filter(kind=model.kind, is_active=True).exclude(pk=model.pk).update(
        is_active=False
    )
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])
    return model


def artifact_directory(model: TrainedModel) -> Path:
    return Path(settings.RECSYS_MODELS_DIR) / model.path


def reranker_train(*, request: TrainingRequest, progress: Progress) -> TrainedModel:
    """Loads the catalogue and the queries, trains, writes the artifact, registers it."""
    films = tmdb_films(request.tmdb_csv) if request.tmdb_csv else db_films()
    recipe = request.recipe
    if len(films) < recipe.group_size * 2:
        raise ValueError(
            f"the catalogue has {len(films)} films: too few to train a reranker "
            f"(import films first, or pass a TMDB CSV)"
        )
    queries = []
    if request.queries:
        queries, skipped = tomt_queries(request.queries, films)
        progress.log(f"{len(queries)} labelled queries, {skipped} skipped (answer not served)")
    candidates: CandidateSource
    if request.tmdb_csv:  # films read from a file, not served: exact dense search over them
        cache_dir = Path(settings.RECSYS_DATA_DIR) / "cache" / "rerank"
        candidates = DenseCandidates(films, cache_dir=cache_dir)
    else:  # the served catalogue: the search pipeline's own fused candidates and scores
        candidates = PipelineCandidates(films)
        recipe = replace(recipe, prior="fused", prior_scale=FUSED_PRIOR_SCALE)
    root = Path(settings.RECSYS_MODELS_DIR) / RERANKER_DIR
    result = train_reranker(
        films=films,
        queries=queries,
        candidates_for=candidates,
        recipe=recipe,
        output_root=root,
        progress=progress,
    )
    return trained_model_register(
        kind=TrainedModel.Kind.RERANKER,
        version=result.version,
        path=str(result.directory.relative_to(settings.RECSYS_MODELS_DIR)),
        config=result.config,
        metrics=result.metrics,
        data_hash=result.data_hash,
        activate=request.activate,
    )


def training_request(*, recipe_name: str | None = None) -> TrainingRequest:
    """What the admin's "Train reranker" trains: settings.RECSYS_RERANKER_RECIPE ("default" or
    "tiny") on the database catalogue plus settings.RECSYS_RERANKER_TRAINING_QUERIES."""
    recipe_name = recipe_name or settings.RECSYS_RERANKER_RECIPE
    if recipe_name not in RECIPES:
        raise ValueError(f"unknown reranker recipe {recipe_name!r}: use one of {sorted(RECIPES)}")
    queries = settings.RECSYS_RERANKER_TRAINING_QUERIES
    return TrainingRequest(
        recipe=RECIPES[recipe_name](), queries=Path(queries) if queries else None
    )


def reranker_training_start(*, created_by=None) -> Job:
    """Queues a training job (after commit) and returns its Job row."""
    from recommendations.rerank.tasks import train_reranker_task

    request = training_request()
    job = job_create(
        kind=Job.Kind.TRAIN_RERANKER,
        params={
            "recipe": settings.RECSYS_RERANKER_RECIPE,
            "queries": str(request.queries) if request.queries else None,
        },
        created_by=created_by,
    )
    job_enqueue(job=job, task_name=train_reranker_task.name)
    return job
