"""Dense candidates: cosine search over every film's vector, in one of five ways
(`RECSYS_DENSE_SEARCH`, docs/architecture.md "Dense search past one machine"):

- exact: each process holds the matrix (read from Chroma, the index of record, kept by the
  indexing tasks) and scores a query with one matrix product; filters are a boolean mask.
  At 36k films this costs a few milliseconds where a Chroma `where` query costs ~45 ms
  (docs/benchmarks.md, bench/dense_filter.py).
- mmap: the same scoring over matrix files that the first process to need them writes under
  RECSYS_DATA_DIR/dense/ and every process maps: the page cache holds one copy for all workers.
- approximate: candidates from Chroma's HNSW index over the film vectors, scored exactly from
  the mapped files; the other films get no dense score (the pipeline only reads the top).
- binary: every film's blended vector as 384 sign bits (48 bytes, a file beside the mapped
  ones); a query's Hamming distance to every film picks a shortlist, scored exactly from the
  mapped files, in process, no server. Opt-in only: on real vectors sign bits rank too coarsely
  for a shortlist much smaller than the catalogue (docs/benchmarks.md, "Binary codes").
- int8: every film's blended vector less the catalogue's mean as 384 int8 codes and a scale
  (a quarter of the blend's bytes, a file beside the mapped ones); a query's approximate
  cosine to every film (ONNX Runtime's integer product) picks a shortlist of a few hundred,
  scored exactly from the mapped files as in binary.

The matrices are reloaded (or another file set mapped) when the catalogue or the collection
changes. `auto` picks exact below RECSYS_DENSE_INT8_FROM films, int8 from there, approximate
from RECSYS_DENSE_APPROXIMATE_FROM (bench/dense_scale.py measured where).

The index knows the embedding model that made its vectors (the live collection's fingerprint):
queries searched against it are encoded by that model (`encode_query(chunks, index.model)`),
whichever retriever is active, so that a search never compares vectors of two models.
"""

import contextlib
import fcntl
import hashlib
import logging
import math
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Max

from movies.models import Movie
from recommendations.embedding import MODEL_ID
from recommendations.lru import LRU
from recommendations.query_encoder import encode_queries
from recommendations.search.catalogue import STAMP_TTL, CatalogueSnapshot
from recommendations.search.fusion import MIN_LIST_FOR_OWN_STATS
from recommendations.vector_store import (
    all_vectors,
    collection_fingerprint,
    collection_model,
    get_collection,
    synopsis_collection,
)

logger = logging.getLogger(__name__)

MODES = ("auto", "exact", "mmap", "approximate", "binary", "int8")
CANDIDATE_MODES = ("approximate", "binary", "int8")  # dense scores for a shortlist only
SHORTLIST_MODES = ("binary", "int8")  # the shortlist by codes, scored from the mapped blend
# Approximate search: HNSW candidates per query chunk, as a multiple of the depth asked (the
# graph ranks by the film vector alone; the exact rescoring adds the synopsis view) ...
OVERFETCH = 2
# ... and, under a filter, divided by the share of films it keeps, up to this many; a filter
# that keeps at most EXACT_SUBSET films is scored exactly over those films instead (their rows
# gathered from the files: 5,000 films are 15 MB, about what one HNSW query costs in time).
MAX_FETCH = 4000
EXACT_SUBSET = 5_000
# Binary: the shortlist rescored exactly, as a multiple of the depth asked (the films with the
# smallest Hamming distance to a query chunk's sign bits). On the 36k Wikipedia films, depth
# 200: recall@100 0.93 at 10x, 0.995 at 40x (8,000 films, still cheaper than exact), 0.999 at
# 60x (12,000, dearer than exact): bench/dense_scale.py --binary-sweep. A filter's rejects
# are out of the shortlist: no overfetch needed.
SHORTLIST = 40
# ... and the codes sign each blended vector less the catalogue's mean blended vector: ranking
# by q . (x - mean) is ranking by q . x (q . mean is the same for every film), and centred
# vectors spread their signs over both halves of every dimension.
CENTRE_CODES = True
# int8: the shortlist rescored exactly, as a multiple of the depth asked (the films with the
# highest approximate cosine to a query chunk) ...
INT8_SHORTLIST = 2
# ... and each code's scale: "film" (each film's largest |component| / 127) or "dimension"
# (each dimension's largest over the catalogue, folded into the query before the product).
INT8_SCALE = "film"


class DenseUnavailable(Exception):
    """The vector store cannot be read (Chroma down): search falls back to lexical."""


@dataclass
class DenseIndex:
    stamp: tuple
    ids: np.ndarray  # movie pks, int64, ascending
    vectors: np.ndarray  # (n, 384) float32, unit rows: the film text (read-only if mapped)
    positions: np.ndarray  # each row's position in the catalogue snapshot, -1 if absent
    synopses: np.ndarray | None = None  # (n, 384): the synopsis view; the film's vector if none
    model: str = MODEL_ID  # the embedding model that made these vectors (encode queries with it)
    mode: str = "exact"  # exact | mmap | approximate (see the module's docstring)
    directory: Path | None = None  # the mapped files (mmap, approximate)
    # approximate: (query vectors, k) -> the ids of the k films nearest each query vector
    nearest: Callable[[np.ndarray, int], np.ndarray] | None = field(default=None, repr=False)
    _blends: dict[float, np.ndarray] = field(default_factory=dict, repr=False)
    _codes: dict[float, np.ndarray] = field(default_factory=dict, repr=False)  # binary
    _int8: dict[float, "Int8Codes"] = field(default_factory=dict, repr=False)
    _by_position: np.ndarray | None = field(default=None, repr=False)

    def scores(self, query_vectors: np.ndarray, synopsis_weight: float = 0.0) -> np.ndarray:
        """Cosine of every indexed film to the query, plus synopsis_weight x the cosine of its
        synopsis view: one query vector, or chunk vectors max-pooled (each film's best chunk)."""
        return (self._blended(synopsis_weight) @ query_vectors.T).max(axis=1)

    def position_scores(
        self,
        query_vectors: np.ndarray,
        size: int,
        *,
        synopsis_weight: float = 0.0,
        depth: int = 200,
        mask: np.ndarray | None = None,
        also: np.ndarray | None = None,
    ) -> np.ndarray:
        """`scores` laid out by catalogue position (-inf for a film without one): every
        film's, or in approximate and binary modes the candidates' only, enough for a caller
        that reads the `depth` best films passing `mask` (those a filter keeps), and the
        films at positions `also` (the lexical list's, whose dense scores fusion reads)."""
        if self.mode not in CANDIDATE_MODES:
            return self.snapshot_scores(self.scores(query_vectors, synopsis_weight), size)
        kept = None
        if mask is not None:
            kept = self._rows_by_position(size)[mask]
            kept = kept[kept >= 0]
        # Fusion standardises a list this short by the whole catalogue's scores: every film's.
        if (depth if kept is None else min(depth, len(kept))) < MIN_LIST_FOR_OWN_STATS:
            return self.snapshot_scores(self.scores(query_vectors, synopsis_weight), size)
        if kept is not None and len(kept) <= EXACT_SUBSET:
            rows = np.sort(kept)  # a narrow filter: each film it keeps
        elif self.mode in SHORTLIST_MODES:
            rows = self._shortlist_rows(query_vectors, synopsis_weight, depth, mask)
        else:
            try:
                rows = self._nearest_rows(query_vectors, depth, mask, size, kept)
            except Exception as error:  # the Chroma server went away
                raise DenseUnavailable(str(error)) from error
        if also is not None and len(also):
            extra = self._rows_by_position(size)[also]
            rows = np.union1d(rows, extra[extra >= 0])
        out = np.full(size, -np.inf, dtype=np.float32)
        if len(rows):
            if self.mode in SHORTLIST_MODES:  # the blend is mapped already: one gather
                vectors = self._blended(synopsis_weight)[rows]
            else:
                vectors = self.vectors[rows]
                if synopsis_weight and self.synopses is not None:
                    vectors = vectors + np.float32(synopsis_weight) * self.synopses[rows]
            out[self.positions[rows]] = (vectors @ query_vectors.T).max(axis=1)
        return out

    def _shortlist_rows(
        self,
        query_vectors: np.ndarray,
        synopsis_weight: float,
        depth: int,
        mask: np.ndarray | None,
    ) -> np.ndarray:
        """Rows (ascending) of the films in the snapshot that pass the filter nearest a query
        chunk by the mode's codes (each film's nearest chunk): binary's SHORTLIST x depth by
        Hamming distance, int8's INT8_SHORTLIST x depth by approximate cosine."""
        if self.mode == "binary":
            distance = hamming(self.codes(synopsis_weight), sign_codes(query_vectors))
            far, count = FAR, SHORTLIST * depth
        else:
            distance = -self.int8_codes(synopsis_weight).scores(query_vectors)
            far, count = np.inf, math.ceil(INT8_SHORTLIST * depth)
        outside = self.positions < 0
        if mask is not None:
            outside |= ~mask[self.positions]  # -1 reads the last film's: outside already
        distance[outside] = far
        count = min(count, len(distance))
        if count < len(distance):
            rows = np.argpartition(distance, count - 1)[:count]
        else:
            rows = np.arange(len(distance))
        return np.sort(rows[distance[rows] < far])

    def prepare(self, synopsis_weight: float) -> None:
        """What a search at this weight reads, made (or mapped) now: the blend, and in
        binary and int8 modes its codes (a worker's warm-up, before traffic)."""
        self._blended(synopsis_weight)
        if self.mode == "binary":
            self.codes(synopsis_weight)
        elif self.mode == "int8":
            self.int8_codes(synopsis_weight).scores(np.zeros((1, self.vectors.shape[1])))

    def codes(self, synopsis_weight: float) -> np.ndarray:
        """The blended vectors' sign bits, (words, films) uint64, made once per weight (a
        file of the mapped store, written by the first process that needs it)."""
        if synopsis_weight not in self._codes:
            blend = self._blended(synopsis_weight)
            if self.directory is not None and self.directory.exists():
                self._codes[synopsis_weight] = map_codes(self.directory, synopsis_weight, blend)
            else:
                self._codes[synopsis_weight] = film_codes(blend)
        return self._codes[synopsis_weight]

    def int8_codes(self, synopsis_weight: float) -> "Int8Codes":
        """The blended vectors as int8 codes, made once per weight (files of the mapped
        store, written by the first process that needs them)."""
        if synopsis_weight not in self._int8:
            blend = self._blended(synopsis_weight)
            if self.directory is not None and self.directory.exists():
                self._int8[synopsis_weight] = map_int8(self.directory, synopsis_weight, blend)
            else:
                self._int8[synopsis_weight] = Int8Codes.of(blend, INT8_SCALE)
        return self._int8[synopsis_weight]

    def _nearest_rows(
        self,
        query_vectors: np.ndarray,
        depth: int,
        mask: np.ndarray | None,
        size: int,
        kept: np.ndarray | None,
    ) -> np.ndarray:
        """Rows (ascending) of the films nearest a query chunk in the HNSW graph that are in
        the snapshot and pass the filter: more of them the fewer films the filter keeps."""
        fetch = OVERFETCH * depth
        if kept is not None:
            fetch = math.ceil(fetch * size / max(len(kept), 1))
        ids = self.nearest(query_vectors, min(fetch, MAX_FETCH, len(self.ids)))
        rows = np.clip(np.searchsorted(self.ids, ids), 0, max(len(self.ids) - 1, 0))
        rows = np.unique(rows[self.ids[rows] == ids]) if len(self.ids) else rows[:0]
        rows = rows[self.positions[rows] >= 0]
        return rows if mask is None else rows[mask[self.positions[rows]]]

    def _rows_by_position(self, size: int) -> np.ndarray:
        """Catalogue position -> row of the matrix, -1 for a film without a vector."""
        if self._by_position is None or len(self._by_position) != size:
            by_position = np.full(size, -1, dtype=np.int64)
            present = self.positions >= 0
            by_position[self.positions[present]] = np.flatnonzero(present)
            self._by_position = by_position
        return self._by_position

    def _blended(self, synopsis_weight: float) -> np.ndarray:
        """vectors + w x synopses, made once per weight: one matrix product a query instead of
        two (the cosines are linear in the query vector, so the blend can come first). Mapped
        indexes map a file of it, written by the first process that needs it."""
        if not synopsis_weight or self.synopses is None:
            return self.vectors
        if synopsis_weight not in self._blends:
            if self.directory is not None and self.directory.exists():
                blend = map_blend(self.directory, synopsis_weight)
            else:
                blend = self.vectors + np.float32(synopsis_weight) * self.synopses
            self._blends[synopsis_weight] = blend
        return self._blends[synopsis_weight]

    def mean_vector(self, positions: np.ndarray, size: int) -> np.ndarray | None:
        """The mean film vector of the films at these catalogue positions (those with a
        vector); None when none has one."""
        rows = self._rows_by_position(size)[positions]
        rows = rows[rows >= 0]
        return self.vectors[rows].mean(axis=0, dtype=np.float32) if len(rows) else None

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


def dense_mode(films: int) -> str:
    """The way search scores dense candidates for a collection of this many films. `auto`
    never picks binary: on the real 36k films its shortlist must hold a third of them for
    recall@100 >= 0.999, and then it costs more than the exact product (docs/benchmarks.md,
    "Binary codes")."""
    mode = settings.RECSYS_DENSE_SEARCH
    if mode != "auto":
        return mode
    if films >= settings.RECSYS_DENSE_APPROXIMATE_FROM:
        return "approximate"
    return "int8" if films >= settings.RECSYS_DENSE_INT8_FROM else "exact"


# --- Binary codes: 1 bit a dimension, Hamming distance for a shortlist -------------------------

FAR = np.iinfo(np.uint16).max  # the distance of a film the shortlist must not take


def sign_codes(matrix: np.ndarray) -> np.ndarray:
    """Each row's signs (1 where > 0) packed 64 to a word: (rows, words) uint64."""
    bits = np.packbits(np.asarray(matrix) > 0, axis=1)
    pad = -bits.shape[1] % 8
    if pad:
        bits = np.pad(bits, ((0, 0), (0, pad)))
    return np.ascontiguousarray(bits).view(np.uint64)


def film_codes(matrix: np.ndarray) -> np.ndarray:
    """The films' codes, word-major ((words, films): one contiguous pass per word), signed
    around the catalogue's mean row where CENTRE_CODES. Made a chunk of rows at a time, so a
    mapped matrix is read once and never copied whole."""
    centre = mean_row(matrix) if CENTRE_CODES else np.zeros(matrix.shape[1], np.float32)
    words = math.ceil(matrix.shape[1] / 64)
    out = np.empty((words, len(matrix)), dtype=np.uint64)
    for start in range(0, len(matrix), BLEND_CHUNK):
        chunk = np.asarray(matrix[start : start + BLEND_CHUNK]) - centre
        out[:, start : start + len(chunk)] = sign_codes(chunk).T
    return out


def mean_row(matrix: np.ndarray) -> np.ndarray:
    """The matrix's mean row (float32), summed a chunk of rows at a time (a mapped matrix is
    read once, never copied whole)."""
    total = np.zeros(matrix.shape[1], dtype=np.float64)
    for start in range(0, len(matrix), BLEND_CHUNK):
        total += np.asarray(matrix[start : start + BLEND_CHUNK]).sum(axis=0, dtype=np.float64)
    return (total / max(len(matrix), 1)).astype(np.float32)


def hamming(codes: np.ndarray, query_codes: np.ndarray) -> np.ndarray:
    """Each film's Hamming distance (uint16) to its nearest query code: `codes` word-major
    (film_codes), `query_codes` one row a query chunk (sign_codes)."""
    nearest = None
    for query in query_codes:
        distance = np.zeros(codes.shape[1], dtype=np.uint16)
        for word, bits in zip(codes, query, strict=True):
            distance += np.bitwise_count(word ^ bits)
        nearest = distance if nearest is None else np.minimum(nearest, distance, out=nearest)
    return nearest if nearest is not None else np.zeros(codes.shape[1], dtype=np.uint16)


# --- int8 codes: a quarter of the blend's bytes, an approximate cosine for a shortlist -------

# The product is ONNX Runtime's MatMulInteger: a query's codes (uint8, less ZERO_POINT) times
# the films' (int8), which MLAS packs once when the session is made (numpy's integer matmul is
# no BLAS; with the films as the streamed operand MLAS was slower than the float product:
# docs/benchmarks.md, "int8 dense codes"). Without VNNI, MLAS sums pairs of u8 x s8 products
# in int16, which saturates past 32,767 and gives a silently wrong product: query codes span
# +-QUERY_LEVELS around ZERO_POINT (uint8 1..127), so that a pair stays within 2 x 127 x 127.
ZERO_POINT = 64
QUERY_LEVELS = 63


@dataclass(frozen=True)
class Int8Codes:
    """Each film's blend less the catalogue's mean row as int8 codes times a scale, per film
    (its largest |component| / 127) or per dimension. Ranking by q . (x - mean) is ranking by
    q . x; the mean's share (q . mean) is added back so several query chunks compare."""

    codes: np.ndarray  # (dims, films) int8: film-minor, as the product reads them (mapped)
    scales: np.ndarray  # (films,) per film, or (dims,) per dimension, float32
    mean: np.ndarray  # (dims,) float32
    by_dimension: bool
    session: object = field(repr=False, compare=False)  # int8_session(codes)

    @classmethod
    def over(
        cls, codes: np.ndarray, scales: np.ndarray, mean: np.ndarray, by_dimension: bool
    ) -> "Int8Codes":
        return cls(codes, scales, mean, by_dimension, int8_session(codes))

    @classmethod
    def of(cls, matrix: np.ndarray, scale: str) -> "Int8Codes":
        """The codes of a matrix (mapped or not), a chunk of rows at a time."""
        mean, scales = int8_scales(matrix, scale)
        codes = np.empty(matrix.shape[::-1], dtype=np.int8)
        fill_int8_codes(codes, matrix, mean, scales, scale == "dimension")
        return cls.over(codes, scales, mean, scale == "dimension")

    def scores(self, query_vectors: np.ndarray) -> np.ndarray:
        """Each film's approximate cosine to its nearest query chunk (float32): the query
        quantized to +-QUERY_LEVELS with one scale a chunk, one integer product with every
        film."""
        queries = np.asarray(query_vectors, dtype=np.float32)
        folded = queries * self.scales if self.by_dimension else queries
        step = np.abs(folded).max(axis=1) / QUERY_LEVELS
        step[step == 0] = 1
        query_codes = np.rint(folded / step[:, None]).astype(np.int8)
        scores = int8_product(self.session, query_codes).astype(np.float32)
        scores *= step[:, None]
        if not self.by_dimension:
            scores *= self.scales
        scores += (queries @ self.mean)[:, None]
        return scores.max(axis=0)


def int8_scales(matrix: np.ndarray, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """The mean row and the codes' scales (see Int8Codes), a chunk of rows at a time."""
    if scale not in ("film", "dimension"):
        raise ValueError(f"int8 scale {scale!r}: film or dimension")
    mean = mean_row(matrix)
    spans = []
    for start in range(0, len(matrix), BLEND_CHUNK):
        spread = np.abs(np.asarray(matrix[start : start + BLEND_CHUNK]) - mean)
        spans.append(spread.max(axis=1 if scale == "film" else 0, initial=0.0))
    if scale == "film":
        largest = np.concatenate(spans) if spans else np.zeros(0, np.float32)
    else:
        largest = np.max(spans, axis=0) if spans else np.zeros(matrix.shape[1], np.float32)
    scales = (largest / 127).astype(np.float32)
    scales[scales == 0] = 1  # a film (or dimension) at the mean: any scale codes it as 0
    return mean, scales


def fill_int8_codes(
    out: np.ndarray, matrix: np.ndarray, mean: np.ndarray, scales: np.ndarray, by_dimension: bool
) -> None:
    """`out` ((dims, films) int8) = round((row - mean) / scale), each film a column."""
    for start in range(0, len(matrix), BLEND_CHUNK):
        rows = slice(start, start + BLEND_CHUNK)
        chunk = np.asarray(matrix[rows]) - mean
        chunk /= scales if by_dimension else scales[rows, None]
        out[:, rows] = np.clip(np.rint(chunk), -127, 127).astype(np.int8).T


def int8_session(codes: np.ndarray):
    """An ONNX Runtime session of one MatMulInteger: (chunks, dims) uint8 query codes with
    zero point ZERO_POINT times `codes` ((dims, films) int8) -> int32. The codes are handed
    over as an initializer without a copy (a mapped file stays mapped); the session packs them
    once for MLAS's kernels (private memory, the codes' size). One thread: a web process
    gives a request one numeric thread."""
    import onnxruntime
    from onnx import TensorProto, helper

    from recommendations.onnx_models import OPSET, cpu_session

    films = TensorProto(name="films", data_type=TensorProto.INT8, dims=codes.shape)
    films.data_location = TensorProto.EXTERNAL  # supplied below, as an OrtValue
    films.external_data.add(key="location", value="supplied")
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["queries", "films", "zero"], ["scores"])],
        "int8_dense",
        [helper.make_tensor_value_info("queries", TensorProto.UINT8, ["m", codes.shape[0]])],
        [helper.make_tensor_value_info("scores", TensorProto.INT32, ["m", codes.shape[1]])],
        [films, helper.make_tensor("zero", TensorProto.UINT8, [], [ZERO_POINT])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    supplied = onnxruntime.OrtValue.ortvalue_from_numpy(np.asarray(codes))
    return cpu_session(model.SerializeToString(), threads=1, initializers={"films": supplied})


def int8_product(session, query_codes: np.ndarray) -> np.ndarray:
    """query_codes @ the session's codes as int32 (chunks, films), exact for query codes
    within +-QUERY_LEVELS."""
    queries = (query_codes.astype(np.int16) + ZERO_POINT).astype(np.uint8)
    return session.run(None, {"queries": queries})[0]


def _dense_stamp(snapshot: CatalogueSnapshot) -> tuple:
    """Changes when the films, their vectors, the live collection (a swap) or the way to
    score them change."""
    live = get_collection()
    indexed = Movie.objects.aggregate(at=Max("indexed_at"))["at"]
    count = live.count()
    return (
        snapshot.stamp,
        live.name,
        indexed,
        count,
        collection_fingerprint(live),
        dense_mode(count),
    )


def _read_vectors(collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every film's id (ascending), vector and synopsis view, from the vector store."""
    ids, vectors = all_vectors(collection)
    view_ids, views = all_vectors(synopsis_collection(collection))
    synopses = vectors.copy()  # a film without a synopsis is its own synopsis view
    rows = np.searchsorted(ids, view_ids)
    known = (rows < len(ids)) & (ids[np.minimum(rows, max(len(ids) - 1, 0))] == view_ids)
    synopses[rows[known]] = views[known]
    return ids, vectors, synopses


def _load(snapshot: CatalogueSnapshot, stamp: tuple) -> DenseIndex:
    collection = get_collection(stamp[1])  # the collection the stamp read, even after a swap
    model = collection_model(collection)
    mode = stamp[-1]
    if mode == "exact":
        ids, vectors, synopses = _read_vectors(collection)
        return DenseIndex(stamp, ids, vectors, snapshot.positions(ids), synopses, model=model)
    directory = _store_root() / hashlib.sha1(repr(stamp[1:5]).encode()).hexdigest()[:16]
    with _store_lock():
        if not (directory / "ids.npy").exists():
            write_store(directory, *_read_vectors(collection))
            _sweep(keep=directory)
    ids, vectors, synopses = map_store(directory)
    nearest = _chroma_nearest(collection) if mode == "approximate" else None
    return DenseIndex(
        stamp, ids, vectors, snapshot.positions(ids), synopses, model, mode, directory, nearest
    )


def _chroma_nearest(collection) -> Callable[[np.ndarray, int], np.ndarray]:
    def nearest(query_vectors: np.ndarray, k: int) -> np.ndarray:
        got = collection.query(query_embeddings=query_vectors, n_results=k, include=[])
        return np.array([int(i) for ids in got["ids"] for i in ids], dtype=np.int64)

    return nearest


# --- The mapped files: written once per collection state, mapped by every process -----------


def _store_root() -> Path:
    return Path(settings.RECSYS_DATA_DIR) / "dense"


@contextlib.contextmanager
def _store_lock():
    """One process (and thread) at a time writes the files; the others wait, then map them."""
    root = _store_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_store(
    directory: Path, ids: np.ndarray, vectors: np.ndarray, synopses: np.ndarray
) -> None:
    """ids.npy, vectors.npy and synopses.npy in `directory`, which appears whole or not at all
    (written beside it, then renamed)."""
    partial = directory.with_name(f".{directory.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    np.save(partial / "ids.npy", np.ascontiguousarray(ids, dtype=np.int64))
    np.save(partial / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
    np.save(partial / "synopses.npy", np.ascontiguousarray(synopses, dtype=np.float32))
    partial.rename(directory)


def map_store(directory: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids (read) and the two matrices (mapped, read-only) of a written store."""
    return (
        np.load(directory / "ids.npy"),
        np.load(directory / "vectors.npy", mmap_mode="r"),
        np.load(directory / "synopses.npy", mmap_mode="r"),
    )


BLEND_CHUNK = 50_000  # rows blended at a time: a chunk in private memory, not the matrix


def map_blend(directory: Path, synopsis_weight: float) -> np.ndarray:
    """vectors + w x synopses as a mapped file of the store, written if missing."""

    def write(partial: Path) -> None:
        vectors = np.load(directory / "vectors.npy", mmap_mode="r")
        synopses = np.load(directory / "synopses.npy", mmap_mode="r")
        out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=vectors.shape)
        for start in range(0, len(vectors), BLEND_CHUNK):
            rows = slice(start, start + BLEND_CHUNK)
            out[rows] = vectors[rows] + np.float32(synopsis_weight) * synopses[rows]
        out.flush()

    return _mapped_once(directory / f"blend-{synopsis_weight:g}.npy", write)


def map_codes(directory: Path, synopsis_weight: float, blend: np.ndarray) -> np.ndarray:
    """film_codes(blend) as a file of the store (1 bit a dimension: 48 bytes a film, a 32nd
    of the blend), written if missing."""

    def write(partial: Path) -> None:
        with partial.open("wb") as handle:  # a handle: np.save would add ".npy" to a path
            np.save(handle, film_codes(blend))

    centred = "centred-" if CENTRE_CODES else ""
    path = directory / f"codes-{centred}{synopsis_weight:g}.npy"
    return np.asarray(_mapped_once(path, write))  # mapped: one copy for every worker


def map_int8(directory: Path, synopsis_weight: float, blend: np.ndarray) -> Int8Codes:
    """Int8Codes of the blend as two files of the store (the mean row and the scales, then
    the codes: 384 bytes a film, a quarter of the blend), written if missing."""
    name = f"int8-{INT8_SCALE}-{synopsis_weight:g}"
    dims = blend.shape[1]

    def write_scales(partial: Path) -> None:
        with partial.open("wb") as handle:
            np.save(handle, np.concatenate(int8_scales(blend, INT8_SCALE)))

    header = np.asarray(_mapped_once(directory / f"{name}-scales.npy", write_scales))
    mean, scales = header[:dims], header[dims:]
    by_dimension = INT8_SCALE == "dimension"

    def write_codes(partial: Path) -> None:
        shape = blend.shape[::-1]
        out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.int8, shape=shape)
        fill_int8_codes(out, blend, mean, scales, by_dimension)
        out.flush()

    codes = _mapped_once(directory / f"{name}.npy", write_codes)
    return Int8Codes.over(codes, scales, mean, by_dimension)


def _mapped_once(path: Path, write: Callable[[Path], None]) -> np.ndarray:
    """The .npy file at `path`, mapped; if missing, `write` makes it first under the store's
    lock, at a partial name renamed into place, so that no process maps half a file."""
    with _store_lock():
        if not path.exists():
            partial = path.with_name(f".{path.name}.partial")
            write(partial)
            partial.rename(path)
    return np.load(path, mmap_mode="r")


def _sweep(keep: Path) -> None:
    """Drop the files of earlier collection states. A process still mapping them keeps its
    pages (the files go when the last map closes); it maps the new ones at its next check."""
    for entry in _store_root().iterdir():
        if entry.is_dir() and entry != keep:
            shutil.rmtree(entry, ignore_errors=True)


class _DenseCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: DenseIndex | None = None
        self._snapshot_stamp: tuple | None = None
        self._checked_at = 0.0
        # The last failed load, before any index: (snapshot stamp, when, why). Until the next
        # check is due it is the answer, so that a search (which asks twice: its result
        # cache's stamp, then the pipeline) or a burst of them waits on a down Chroma once.
        self._failed: tuple[tuple, float, str] | None = None

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
        if (failed := self._failed) and failed[0] == snapshot.stamp and now - failed[1] < STAMP_TTL:
            raise DenseUnavailable(failed[2])
        with self._lock:
            try:
                stamp = _dense_stamp(snapshot)
                if self._index is None or self._index.stamp != stamp:
                    self._index = _load(snapshot, stamp)
                self._failed = None
            except Exception as error:
                if self._index is None:
                    self._failed = (snapshot.stamp, time.monotonic(), str(error))
                    raise DenseUnavailable(str(error)) from error
                logger.warning("vector store unreachable, using vectors loaded before: %s", error)
                self._index.positions = snapshot.positions(self._index.ids)
                self._index._by_position = None
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
            self._failed = None


_cache = _DenseCache()
get_dense_index = _cache.get
clear_dense_index = _cache.clear

QUERY_CACHE_SIZE = 256
_query_cache: LRU[np.ndarray] = LRU(QUERY_CACHE_SIZE)


def encode_query(chunks: tuple[str, ...], model: str | None = None) -> np.ndarray:
    """Chunk vectors of a query by `model` (default: the live index's, see live_model),
    remembered for the last few hundred queries (paging and the live search ask for the same
    query again)."""
    model = model or live_model()
    key = (model, chunks)
    if (hit := _query_cache.get(key)) is not None:
        return hit
    vectors = encode_queries(chunks, model=model)
    _query_cache.put(key, vectors)
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


clear_query_cache = _query_cache.clear
