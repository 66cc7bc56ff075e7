"""Writes for the retriever: training a version and registering it. The command and the
Celery task call these. Activating a version (the model list's action) makes the index stale:
the next sync rebuilds it into a shadow collection with the new model, and search encodes
queries with the model that made the live collection (recommendations/retriever.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from recommendations.lab.progress import Progress
from recommendations.lab.queries import served_queries
from recommendations.lab.reranker_data import RetrievedCandidates, training_films
from recommendations.lab.retriever_training import Recipe, train_retriever
from recommendations.lab.training_jobs import register_trained
from recommendations.lab_jobs import RETRIEVER_RECIPES
from recommendations.models import TrainedModel
from recommendations.trained_models import kind_directory

RECIPES = dict(zip(RETRIEVER_RECIPES, (Recipe, Recipe.tiny), strict=True))


@dataclass(frozen=True)
class TrainingRequest:
    """What to train on. queries: labelled known-item queries (JSON lines like tomt-dev), or
    None for catalogue pseudo-queries only."""

    recipe: Recipe
    queries: Path | None = None
    activate: bool = False


def retriever_train(*, request: TrainingRequest, progress: Progress) -> TrainedModel:
    """Loads the catalogue and the queries, mines hard negatives from search's first stages,
    fine-tunes, writes the model directory, registers it."""
    films = training_films(kind="retriever", minimum=2 * request.recipe.batch_size)
    queries = served_queries(request.queries, progress) if request.queries else []
    result = train_retriever(
        films=films,
        queries=queries,
        candidates_for=RetrievedCandidates(films),
        recipe=request.recipe,
        output_root=kind_directory(TrainedModel.Kind.RETRIEVER),
        progress=progress,
    )
    return register_trained(
        kind=TrainedModel.Kind.RETRIEVER, result=result, activate=request.activate
    )


def training_request(*, recipe_name: str | None = None) -> TrainingRequest:
    """What the admin's "Train retriever" trains: settings.RECSYS_RETRIEVER_RECIPE on the
    database catalogue plus settings.RECSYS_RERANKER_TRAINING_QUERIES (the labelled queries
    the lab trains on)."""
    recipe_name = recipe_name or settings.RECSYS_RETRIEVER_RECIPE
    if recipe_name not in RECIPES:
        raise ValueError(f"unknown retriever recipe {recipe_name!r}: use one of {sorted(RECIPES)}")
    queries = settings.RECSYS_RERANKER_TRAINING_QUERIES
    return TrainingRequest(
        recipe=RECIPES[recipe_name](), queries=Path(queries) if queries else None
    )
