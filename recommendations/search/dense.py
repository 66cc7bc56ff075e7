"""Dense candidates: exact cosine search over an in-memory matrix of every film's vector.

The vectors are read from Chroma (the index of record, kept by the indexing tasks) once per
process and reloaded when the catalogue or the collection changes. At 36k films a numpy
matrix product is exact, filters are a boolean mask, and both cost a few milliseconds where a
Chroma `where` query costs ~45 ms (docs/benchmarks.md, bench/dense_filter.py).

The index knows the embedding model that made its vectors (the live collection's fingerprint):
queries searched against it are encoded by that model (`encode_query(chunks, index.model)`),
whichever retriever is active, so that a search never compares vectors of two models.
"""

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Max

from movies.models import Movie
from recommendations.embedding import MODEL_ID
from recommendations.query_encoder import encode_queries
from recommendations.search.catalogue import STAMP_TTL, CatalogueSnapshot
from recommendations.vector_store import (
    all_vectors,
    collection_fingerprint,
    collection_model,
    get_collection,
    synopsis_collection,
)

logger = logging.getLogger(__name__)


class DenseUnavailable(Exception):
    """The vector store cannot be read (Chroma down): search falls back to lexical."""


@dataclass
class DenseIndex:
    stamp: tuple
    ids: np.ndarray  # movie pks, int64, ascending
    vectors: np.ndarray  # (n, 384) float32, unit rows: the film text
    positions: np.ndarray  # each row's position in the catalogue snapshot, -1 if absent
    synopses: np.ndarray | None = None  # (n, 384): the synopsis view; the film's vector if none
    model: str = MODEL_ID  # the embedding model that made these vectors (encode queries with it)
    _blends: dict[float, np.ndarray] = field(default_factory=dict, repr=False)

    def scores(self, query_vectors: np.ndarray, synopsis_weight: float = 0.0) -> np.ndarray:
        """Cosine of every indexed film to the query, plus synopsis_weight x the cosine of its
        synopsis view: one query vector, or chunk vectors max-pooled (each film's best chunk)."""
        return (self._blended(synopsis_weight) @ query_vectors.T).max(axis=1)

    def _blended(self, synopsis_weight: float) -> np.ndarray:
        """vectors + w x synopses, made once per weight: one matrix product a query instead of
        two (the cosines are linear in the query vector, so the blend can come first)."""
        if not synopsis_weight or self.synopses is None:
            return self.vectors
        if synopsis_weight not in self._blends:
            blend = self.vectors + np.float32(synopsis_weight) * self.synopses
            self._blends[synopsis_weight] = blend
        return self._blends[synopsis_weight]

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        i = int(np.searchsorted(self.ids, movie_id))
        if i < len(self.ids) and self.ids[i] == movie_id:
            return self.vectors[i]
        return None

    def snapshot_scores(self, scores: np.ndarray, size: int) -> np.ndarray:
        """Scores laid out by catalogue position; -inf for films without a vector."""
        out = np.full(size, -np.inf, dtype=np.float32)
        present = self.positions >= 0
        out[self.positions[present]] = scores[present]
        return out


def _dense_stamp(snapshot: CatalogueSnapshot) -> tuple:
    """Changes when the films, their vectors or the live collection (a swap) change."""
    indexed = Movie.objects.aggregate(at=Max("indexed_at"))["at"]
    live = get_collection()
    return (snapshot.stamp, indexed, live.name, collection_fingerprint(live), live.count())


def _load(snapshot: CatalogueSnapshot, stamp: tuple) -> DenseIndex:
    collection = get_collection(stamp[2])  # the collection the stamp read, even after a swap
    ids, vectors = all_vectors(collection)
    view_ids, views = all_vectors(synopsis_collection(collection))
    synopses = vectors.copy()  # a film without a synopsis is its own synopsis view
    rows = np.searchsorted(ids, view_ids)
    known = (rows < len(ids)) & (ids[np.minimum(rows, max(len(ids) - 1, 0))] == view_ids)
    synopses[rows[known]] = views[known]
    return DenseIndex(
        stamp, ids, vectors, snapshot.positions(ids), synopses, model=collection_model(collection)
    )


class _DenseCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: DenseIndex | None = None
        self._snapshot_stamp: tuple | None = None
        self._checked_at = 0.0

    def get(self, snapshot: CatalogueSnapshot) -> DenseIndex:
        """The dense index for this snapshot; a stale one if Chroma stops answering after a
        load (its vectors are still right for every film they cover)."""
        now = time.monotonic()
        if (
            self._index is not None
            and self._snapshot_stamp == snapshot.stamp
            and now - self._checked_at < STAMP_TTL
        ):
            return self._index
        with self._lock:
            try:
                stamp = _dense_stamp(snapshot)
                if self._index is None or self._index.stamp != stamp:
                    self._index = _load(snapshot, stamp)
            except Exception as error:
                if self._index is None:
                    raise DenseUnavailable(str(error)) from error
                logger.warning("vector store unreachable, using vectors loaded before: %s", error)
                self._index.positions = snapshot.positions(self._index.ids)
            self._snapshot_stamp = snapshot.stamp
            self._checked_at = time.monotonic()
            return self._index

    def loaded(self) -> DenseIndex | None:
        """The index last loaded, as searches use it now (None before the first search)."""
        return self._index

    def clear(self) -> None:
        with self._lock:
            self._index = None
            self._snapshot_stamp = None


_cache = _DenseCache()
get_dense_index = _cache.get
clear_dense_index = _cache.clear

_query_cache: OrderedDict[tuple[str, tuple[str, ...]], np.ndarray] = OrderedDict()
_query_lock = threading.Lock()
QUERY_CACHE_SIZE = 256


def encode_query(chunks: tuple[str, ...], model: str | None = None) -> np.ndarray:
    """Chunk vectors of a query by `model` (default: the live index's, see live_model),
    remembered for the last few hundred queries (paging and the live search ask for the same
    query again)."""
    model = model or live_model()
    key = (model, chunks)
    with _query_lock:
        if (hit := _query_cache.get(key)) is not None:
            _query_cache.move_to_end(key)
            return hit
    vectors = encode_queries(chunks, model=model)
    with _query_lock:
        _query_cache[key] = vectors
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vectors


def live_model() -> str:
    """The model of the vectors search compares queries with now: the dense index's this
    process loaded (what explanations and the reranker's dense prior compare with too), else
    the live collection's."""
    index = _cache.loaded()
    if index is not None:
        return index.model
    try:
        return collection_model(get_collection())
    except Exception:  # Chroma down: nothing to compare with, any model will do
        return MODEL_ID


def clear_query_cache() -> None:
    with _query_lock:
        _query_cache.clear()
