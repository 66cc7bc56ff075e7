"""Loads what a search needs (models, indexes) once per process, before traffic arrives."""

import logging

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from recommendations.query_encoder import encode_queries
    from recommendations.search.catalogue import get_snapshot
    from recommendations.search.dense import get_dense_index

    encode_queries(["warm up"])  # loads (or first exports) the query encoder
    try:
        get_dense_index(get_snapshot())
    except Exception:  # a cold index must not stop the worker from serving
        logger.exception("search warm-up failed; the first searches will be slower")
