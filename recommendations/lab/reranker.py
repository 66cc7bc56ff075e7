"""Writes for the reranker: training a version, registering and activating it, queueing a
training job. The command, the admin and the Celery task call these."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from django.conf import settings

from recommendations.lab.progress import Progress
from recommendations.lab.queries import served_queries
from recommendations.lab.reranker_data import RetrievedCandidates, training_films
from recommendations.lab.reranker_training import Recipe, serving_cost, train_reranker
from recommendations.lab.training_jobs import register_trained
from recommendations.lab_jobs import RERANKER_RECIPES
from recommendations.models import TrainedModel
from recommendations.rerank.cross_encoder import METRICS_FILE, TRAINING_FILE, WEIGHTS_FILE
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


def reranker_rechoose_cost(*, version: str, queries: Path, progress: Progress) -> TrainedModel:
    """Chooses a trained version's serving cost again (lab/reranker_cost.py), without
    training: on the validation queries it recorded (training.json), over the candidates the
    served catalogue's first stages retrieve now, with the grid and margin of its recipe.
    Writes serving.json and the version's metrics; a process serving it loads it again."""
    model = TrainedModel.objects.filter(kind=TrainedModel.Kind.RERANKER, version=version).first()
    if model is None:
        raise ValueError(f"no reranker version {version!r} in this install")
    directory = Path(settings.RECSYS_MODELS_DIR) / model.path
    recorded = json.loads((directory / TRAINING_FILE).read_text())
    recipe = recipe_of(recorded.get("recipe", {}))
    wanted = set(recorded.get("validation_query_ids", []))
    validation = [q for q in served_queries(queries, progress) if q.id in wanted]
    progress.log(f"{len(validation)} of its {len(wanted)} validation queries served here")
    films = training_films(kind="reranker", minimum=recipe.group_size * 2)
    cost = serving_cost(directory, validation, RetrievedCandidates(films), recipe, progress)
    model.metrics = {**model.metrics, "serving_cost": cost.to_dict()}
    model.save(update_fields=["metrics"])
    metrics_file = directory / METRICS_FILE
    on_disk = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    metrics_file.write_text(json.dumps({**on_disk, "serving_cost": cost.to_dict()}, indent=2))
    # Its weights file is the version's marker (rerank/serving.py): a newer time has every
    # process serving it load it again, serving.json with it (trained_models' reload rule)
    os.utime(directory / WEIGHTS_FILE)
    return model


def recipe_of(recorded: dict) -> Recipe:
    """The Recipe a version's training.json records (JSON lists back to tuples; fields it
    predates take today's defaults)."""
    known = {f.name for f in fields(Recipe)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in recorded.items() if k in known}
    return Recipe(**values)
