"""Loads what a search needs (models, indexes) once per process, before traffic arrives."""

import logging

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from recommendations.embedding import encode

    encode(["warm up"])
    try:
        from recommendations.selectors import warm_search
    except ImportError:
        return
    try:
        warm_search()
    except Exception:  # a cold index must not stop the worker from serving
        logger.exception("search warm-up failed; the first searches will be slower")
