"""Which reranker the pipeline uses: cosine by default. A trained reranker (a later issue)
registers a factory here and is chosen when a TrainedModel of kind "reranker" is active."""

from collections.abc import Callable

import numpy as np

from recommendations.rerank.base import Reranker
from recommendations.rerank.cosine import CosineReranker

RerankerFactory = Callable[[np.ndarray | None], Reranker]
_factories: dict[str, RerankerFactory] = {"cosine": CosineReranker}
_active_name = "cosine"


def register_reranker(name: str, factory: RerankerFactory, *, activate: bool = False) -> None:
    global _active_name
    _factories[name] = factory
    if activate:
        _active_name = name


def get_active_reranker(query_vectors: np.ndarray | None = None) -> Reranker:
    """A reranker for one query: the trained cross-encoder curators activated, else the
    registered default. `query_vectors` (chunk vectors already computed by the dense stage)
    spare the cosine reranker a second encode."""
    from recommendations.rerank.active import get_active_reranker as active_trained_reranker

    trained = active_trained_reranker()
    if trained is not None:
        return trained
    return _factories[_active_name](query_vectors)
