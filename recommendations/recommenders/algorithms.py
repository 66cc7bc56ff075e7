"""Scoring functions on an interaction matrix X (users x items, implicit 0/1, scipy CSR) and on
unit film vectors V (items x d). Each scorer takes a viewer's history as item indices and returns
one score per item, higher is better."""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

EASE_LAMBDA = 300.0
KNN_NEIGHBOURS = 100
COOCCURRENCE_NEIGHBOURS = 200
# Defaults of HybridParams; the tuned values are HYBRID below.
CONTENT_HALF_LIFE = 3.0
CONTENT_FLOOR = 0.1


def popularity_fit(X: sp.csr_matrix) -> np.ndarray:
    return np.asarray(X.sum(axis=0)).ravel().astype(np.float32)


def ease_fit(X: sp.csr_matrix, *, lam: float = EASE_LAMBDA) -> np.ndarray:
    """EASE (Steck 2019): B = I - P / diag(P), P = (X'X + lam I)^-1, zero diagonal."""
    gram = (X.T @ X).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    precision = np.linalg.inv(gram)
    weights = precision / (-np.diag(precision))
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


def item_knn_fit(X: sp.csr_matrix, *, neighbours: int = KNN_NEIGHBOURS) -> sp.csr_matrix:
    """Cosine item-item similarity, keeping each item's `neighbours` nearest (item-kNN)."""
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    Xn = X @ sp.diags(1.0 / norms)
    sim = (Xn.T @ Xn).toarray().astype(np.float32)
    np.fill_diagonal(sim, 0.0)
    if neighbours < sim.shape[1]:
        cut = np.argpartition(-sim, neighbours, axis=1)[:, neighbours:]
        np.put_along_axis(sim, cut, 0.0, axis=1)
    return sp.csr_matrix(sim)


def cooccurrence_fit(
    X: sp.csr_matrix, *, neighbours: int = COOCCURRENCE_NEIGHBOURS
) -> sp.csr_matrix:
    """co(i, j) / count(i), "of the viewers who watched i, the share who also watched j", each
    item keeping its `neighbours` largest (sparse float32: small enough to ship with a trained
    model, unlike a dense items x items table)."""
    counts = popularity_fit(X)
    gram = (X.T @ X).tocsr().astype(np.float32)
    gram.setdiag(0.0)
    gram.eliminate_zeros()
    table = (sp.diags(1.0 / np.maximum(counts, 1.0)).astype(np.float32) @ gram).tocsr()
    rows, cols, data = [], [], []
    for item in range(table.shape[0]):
        start, end = table.indptr[item], table.indptr[item + 1]
        values, columns = table.data[start:end], table.indices[start:end]
        if len(values) > neighbours:
            keep = np.argpartition(-values, neighbours - 1)[:neighbours]
            values, columns = values[keep], columns[keep]
        rows.append(np.full(len(values), item, dtype=np.int64))
        cols.append(columns)
        data.append(values)
    shape = table.shape
    if not rows:
        return sp.csr_matrix(shape, dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=shape,
        dtype=np.float32,
    )


def collaborative_scores(weights, history: np.ndarray) -> np.ndarray:
    """Sum of the history items' rows of an item-item weight matrix (EASE B or kNN S)."""
    if len(history) == 0:
        return np.zeros(weights.shape[1], dtype=np.float32)
    rows = weights[history]
    total = rows.sum(axis=0)
    return np.asarray(total, dtype=np.float32).ravel()


def content_scores(vectors: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of each film to the history films (unit vectors)."""
    if len(history) == 0:
        return np.zeros(len(vectors), dtype=np.float32)
    return vectors @ vectors[history].mean(axis=0)


def standardise(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Zero mean, unit spread over the items in `mask` (all by default), so that two scorers
    on different scales can be blended."""
    sample = scores if mask is None else scores[mask]
    if sample.size == 0:
        return np.zeros_like(scores)
    spread = float(sample.std()) or 1.0
    return (scores - float(sample.mean())) / spread


@dataclass(frozen=True)
class HybridParams:
    """How the hybrid leans, by the number of films the viewer liked (n):
    content weight = content_half_life / (content_half_life + n), at least content_floor;
    popularity prior weight = popularity_weight * popularity_half_life / (popularity_half_life + n).
    One like leans on film vectors and on what is popular; many likes on ratings (EASE).
    Chosen on a validation split carved from the training part (bench/tune_hybrid.py)."""

    content_half_life: float = CONTENT_HALF_LIFE
    content_floor: float = CONTENT_FLOOR
    popularity_weight: float = 0.0
    popularity_half_life: float = 3.0


# Tuned by bench/tune_hybrid.py (best mean validation NDCG@10 over full / 1-film / 3-film
# histories; figures in docs/benchmarks.md).
HYBRID = HybridParams(
    content_half_life=8.0, content_floor=0.0, popularity_weight=5.0, popularity_half_life=10.0
)
# "Because you liked X" rows are about X: content-led, popularity only as a light tie-breaker
# (a product choice, not tuned; the tuned blend would fill them with the most popular films).
RELATED = HybridParams(
    content_half_life=8.0, content_floor=0.0, popularity_weight=0.25, popularity_half_life=10.0
)


def content_weight(n_likes: int, params: HybridParams = HYBRID) -> float:
    half = params.content_half_life
    return max(params.content_floor, half / (half + max(n_likes, 0)))


def popularity_prior_weight(n_likes: int, params: HybridParams = HYBRID) -> float:
    half = params.popularity_half_life
    return params.popularity_weight * half / (half + max(n_likes, 0))


@dataclass(frozen=True)
class RowBlend:
    """The home rows' recommender: a content weight and a popularity prior weight for each band
    of history length. `bands` holds (most likes in the band, content weight, popularity
    weight), in increasing order; longer histories take the last band. One weight pair per band
    (not one curve for all, as HybridParams) because a new viewer and a long history want
    different blends: chosen per band on a validation split (bench/tune_rows.py)."""

    bands: tuple[tuple[int, float, float], ...]
    # (most likes, content weight, popularity weight, co-occurrence weight), increasing: the
    # blend of a short history when the trained model has co-occurrence scores ("viewers who
    # watched your films also watched", cooccurrence_fit); without them, `bands` as before.
    cooccurrence: tuple[tuple[int, float, float, float], ...] = ()

    def cooccurrence_weights(self, n_likes: int) -> tuple[float, float, float] | None:
        for most, content, popularity, cooccurrence in self.cooccurrence:
            if n_likes <= most:
                return content, popularity, cooccurrence
        return None

    def weights(self, n_likes: int) -> tuple[float, float]:
        for most, content, popularity in self.bands:
            if n_likes <= most:
                return content, popularity
        return self.bands[-1][1], self.bands[-1][2]


# Tuned by bench/tune_rows.py on the validation split (figures in docs/benchmarks.md), one band
# at a time: 1 like, 2-5 likes, more. A new viewer's rows lean on popularity (weight 13) but the
# viewer's films do move them: on the validation split this beats popularity alone, with the
# candidates the films the user has not watched (evaluation.score_method).
# With co-occurrence (up to 5 likes) the best validation blends drop EASE for co-watching and
# keep the film vectors; of the blends within 0.0001 of the best (noise on 610 users), the one
# with the smallest popularity weight, so that the rows stay the viewer's own.
ROWS = RowBlend(
    bands=((1, 0.2, 13.0), (5, 0.1, 13.0), (1_000_000, 0.05, 0.0)),
    cooccurrence=((1, 1.0, 5.0, 1.0), (5, 1.0, 2.0, 3.0)),
)


@dataclass(frozen=True)
class Blend:
    scores: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray
    content_weight: float


def _standardise_filled(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Standardised over `mask`; films outside it get the lowest standardised score."""
    z = standardise(scores, mask)
    return np.where(mask, z, z[mask].min()) if mask.any() else z


def hybrid_scores(
    *,
    collaborative: np.ndarray,
    content: np.ndarray,
    n_likes: int,
    has_vector: np.ndarray,
    in_collaborative: np.ndarray,
    popularity: np.ndarray | None = None,
    params: HybridParams = HYBRID,
) -> Blend:
    """Blend standardised collaborative, content and (log) popularity scores by how much the
    viewer told us. A film missing from one side gets that side's lowest score, not zero."""
    return weighted_blend(
        collaborative=collaborative,
        content=content,
        has_vector=has_vector,
        in_collaborative=in_collaborative,
        popularity=popularity,
        content_weight=content_weight(n_likes, params),
        popularity_weight=popularity_prior_weight(n_likes, params),
    )


def row_scores(
    *,
    collaborative: np.ndarray,
    content: np.ndarray,
    n_likes: int,
    has_vector: np.ndarray,
    in_collaborative: np.ndarray,
    popularity: np.ndarray | None = None,
    cooccurrence: np.ndarray | None = None,
    blend: RowBlend = ROWS,
) -> Blend:
    """The home rows' blend: the weights of the viewer's history band (RowBlend), plus the
    band's standardised co-occurrence scores where the band has a co-occurrence blend and the
    scores say something (not given: a trained model saved before they were computed; all zero:
    liked films nobody else watched), else the plain band weights, as before."""
    weight, prior = blend.weights(n_likes)
    co_weight = 0.0
    if cooccurrence is not None and cooccurrence.any():
        with_cooccurrence = blend.cooccurrence_weights(n_likes)
        if with_cooccurrence is not None:
            weight, prior, co_weight = with_cooccurrence
    mixed = weighted_blend(
        collaborative=collaborative,
        content=content,
        has_vector=has_vector,
        in_collaborative=in_collaborative,
        popularity=popularity,
        content_weight=weight,
        popularity_weight=prior,
    )
    if not co_weight:
        return mixed
    return replace(mixed, scores=mixed.scores + co_weight * standardise(cooccurrence))


def weighted_blend(
    *,
    collaborative: np.ndarray,
    content: np.ndarray,
    has_vector: np.ndarray,
    in_collaborative: np.ndarray,
    popularity: np.ndarray | None,
    content_weight: float,
    popularity_weight: float,
) -> Blend:
    """(1 - w) x standardised collaborative + w x standardised content + p x standardised log
    popularity. Without film vectors w is 0; without collaborative scores w is 1."""
    weight = content_weight
    if not has_vector.any():
        weight = 0.0
    if not in_collaborative.any():
        weight = 1.0
    collab = _standardise_filled(collaborative, in_collaborative)
    cont = _standardise_filled(content, has_vector)
    scores = (1.0 - weight) * collab + weight * cont
    if popularity is not None and popularity_weight:
        scores = scores + popularity_weight * standardise(np.log1p(popularity))
    return Blend(scores=scores, collaborative=collab, content=cont, content_weight=weight)


def top_n(scores: np.ndarray, n: int, *, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the n best scores, best first, skipping `exclude`."""
    scores = scores.astype(np.float32, copy=True)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    n = min(n, int(np.isfinite(scores).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    best = np.argpartition(-scores, n - 1)[:n]
    return best[np.argsort(-scores[best], kind="stable")]
