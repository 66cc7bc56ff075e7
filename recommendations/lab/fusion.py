"""Writes for the learned fusion: training a version and registering it (activating it when
asked). The command and the Celery task call these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recommendations.lab.fusion_training import Recipe, train_fusion
from recommendations.lab.progress import Progress
from recommendations.lab.queries import served_queries
from recommendations.lab.training_jobs import register_trained
from recommendations.models import TrainedModel
from recommendations.trained_models import kind_directory


@dataclass(frozen=True)
class FusionRequest:
    recipe: Recipe
    queries: Path  # labelled known-item queries (JSON lines like tomt-dev)
    activate: bool = False


def fusion_train(*, request: FusionRequest, progress: Progress) -> TrainedModel:
    """Loads the queries whose answer the catalogue serves, trains on the candidates search's
    first stages retrieve, writes the artifact, registers it."""
    queries = served_queries(request.queries, progress)
    if not queries:
        raise ValueError(f"no query of {request.queries} has its answer in the catalogue")
    result = train_fusion(
        queries=queries,
        recipe=request.recipe,
        output_root=kind_directory(TrainedModel.Kind.FUSION),
        progress=progress,
    )
    return register_trained(kind=TrainedModel.Kind.FUSION, result=result, activate=request.activate)
