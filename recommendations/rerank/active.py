"""The active cross-encoder, loaded once per process and reloaded when curators activate
another version. When there is none, or it fails to load, callers get None and fall back to
cosine reranking (the failure is logged once per version)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from recommendations.models import TrainedModel

if TYPE_CHECKING:  # TensorFlow is imported only once a trained reranker is active
    from recommendations.rerank.cross_encoder import CrossEncoderReranker

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0  # how often a process looks for a newly activated version

_lock = threading.Lock()
_state: dict = {"key": None, "reranker": None, "checked_at": 0.0}


def _active_row() -> dict | None:
    return (
        TrainedModel.objects.filter(kind=TrainedModel.Kind.RERANKER, is_active=True)
        .values("pk", "version", "path")
        .first()
    )


def get_active_reranker() -> CrossEncoderReranker | None:
    now = time.monotonic()
    if now - _state["checked_at"] < RECHECK_SECONDS:
        return _state["reranker"]
    with _lock:
        row = _active_row()
        key = (row["pk"], row["version"]) if row else None
        if key != _state["key"]:
            _state["reranker"] = _load(row) if row else None
            _state["key"] = key
        _state["checked_at"] = time.monotonic()
        return _state["reranker"]


def _load(row: dict) -> CrossEncoderReranker | None:
    from django.conf import settings

    from recommendations.rerank.cross_encoder import CrossEncoderReranker

    directory = settings.RECSYS_MODELS_DIR / row["path"]
    try:
        reranker = CrossEncoderReranker.from_directory(
            directory,
            version=row["version"],
            runtime=settings.RECSYS_RERANKER_RUNTIME,
            threads=settings.RECSYS_RERANKER_THREADS,
        )
        reranker.warm_up()
    except Exception:
        logger.exception(
            "reranker %s at %s failed to load; using cosine", row["version"], directory
        )
        return None
    logger.info("loaded reranker %s", row["version"])
    return reranker


def forget_active_reranker() -> None:
    """Drop what this process holds (tests; a changed RECSYS_MODELS_DIR)."""
    with _lock:
        _state.update(key=None, reranker=None, checked_at=0.0)
