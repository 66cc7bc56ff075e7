"""Writes for the reranker: training a version, registering and activating it, queueing a
training job. The command, the admin and the Celery task call these."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings

from recommendations.lab.progress import Progress
from recommendations.lab.queries import served_queries
from recommendations.lab.reranker_data import RetrievedCandidates, training_films
from recommendations.lab.reranker_training import Recipe, train_reranker
from recommendations.lab.training_jobs import register_trained
from recommendations.lab_jobs import RERANKER_RECIPES
from recommendations.models import TrainedModel
from recommendations.trained_models import kind_directory

# The fused score is a sum of z-scores: a gap of 1 between two films is a large one, where the
# dense cosine's gaps are hundredths (its initial weight is 20).
FUSED_PRIOR_SCALE = 1.0

logger = logging.getLogger(__name__)

RECIPES = dict(zip(RERANKER_RECIPES, (Recipe, Recipe.tiny), strict=True))


@dataclass(frozen=True)
class TrainingRequest:
    """What to train on. queries: labelled known-item queries (JSON lines like tomt-dev), or
    None for catalogue-generated queries only."""

    recipe: Recipe
    queries: Path | None = None
    activate: bool = False


def reranker_train(*, request: TrainingRequest, progress: Progress) -> TrainedModel:
    """Loads the catalogue and the queries, trains on the candidates search's first stages
    retrieve, writes the artifact, registers it."""
    films = training_films(kind="reranker", minimum=request.recipe.group_size * 2)
    queries = served_queries(request.queries, progress) if request.queries else []
    # The prior is the first stages' fused score, as search hands it to the served model.
    recipe = replace(request.recipe, prior="fused", prior_scale=FUSED_PRIOR_SCALE)
    result = train_reranker(
        films=films,
        queries=queries,
        candidates_for=RetrievedCandidates(films),
        recipe=recipe,
        output_root=kind_directory(TrainedModel.Kind.RERANKER),
        progress=progress,
    )
    return register_trained(
        kind=TrainedModel.Kind.RERANKER, result=result, activate=request.activate
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
