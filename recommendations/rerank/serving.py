"""The rerank stage as search serves it: the active trained cross-encoder (the registry's
"reranker" kind) in the runtime settings.RECSYS_RERANKER_RUNTIME names ("onnx-int8", "onnx" or
"tensorflow"), loaded once per process by recommendations.trained_models. Without an active
version (or when it fails to load) there is no rerank stage: search keeps the fused order.
It serves at the depth and token lengths its version chose (rerank/cost.py), or at its full
setting when settings.RECSYS_RERANKER_COST is "full".

TensorFlow and the model code are imported only once a version is active."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from recommendations.models import TrainedModel
from recommendations.trained_models import ActiveModel

if TYPE_CHECKING:
    from recommendations.rerank.cross_encoder import CrossEncoderReranker

WEIGHTS_FILE = "model.weights.h5"  # recommendations.rerank.cross_encoder.WEIGHTS_FILE


def _load(directory: Path, version: str) -> CrossEncoderReranker:
    from django.conf import settings

    from recommendations.rerank.cross_encoder import CrossEncoderReranker

    reranker = CrossEncoderReranker.from_directory(
        directory,
        version=version,
        runtime=settings.RECSYS_RERANKER_RUNTIME,
        threads=settings.RECSYS_RERANKER_THREADS,
        cost=settings.RECSYS_RERANKER_COST,
    )
    reranker.warm_up()
    return reranker


_active: ActiveModel[CrossEncoderReranker] = ActiveModel(
    TrainedModel.Kind.RERANKER, _load, marker=WEIGHTS_FILE
)


def active_reranker() -> CrossEncoderReranker | None:
    """The cross-encoder search reranks with, or None."""
    return _active.get()


def forget_active_reranker() -> None:
    """Drop the reranker this process holds (tests; a changed RECSYS_MODELS_DIR)."""
    _active.forget()
