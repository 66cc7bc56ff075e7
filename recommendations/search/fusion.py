"""Fusion of the lexical and dense candidate lists: weighted z-scores."""

import numpy as np


def top_positions(scores: np.ndarray, depth: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Positions of the `depth` best finite, positive-or-any scores, best first."""
    scores = scores if mask is None else np.where(mask, scores, -np.inf)
    finite = np.isfinite(scores)
    count = int(finite.sum())
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    depth = min(depth, count)
    top = (
        np.argpartition(-scores, depth - 1)[:depth]
        if depth < len(scores)
        else np.arange(len(scores))
    )
    top = top[np.isfinite(scores[top])]
    return top[np.argsort(-scores[top], kind="stable")]


MIN_LIST_FOR_OWN_STATS = 20


def weighted_zscore(
    scores: dict[str, np.ndarray], lists: dict[str, np.ndarray], weights: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The union of the candidate lists ranked by sum(weight * z). A list's z standardises
    scores by its own candidates (how far ahead of the other contenders a film is), and a film
    absent from the list counts as its last candidate; a short list (a rare word, a narrow
    filter) by the whole catalogue's scores instead, so that a lone match still stands out, and
    a film without a score there (no vector yet) counts as average. `scores` holds every
    film's score per list, -inf for none."""
    union = np.unique(np.concatenate([*lists.values(), np.zeros(0, np.int64)]))
    if not len(union):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    fused = np.zeros(len(union), dtype=np.float32)
    for name, candidates in lists.items():
        values = scores.get(name)
        if values is None or not len(candidates):
            continue
        picked = values[union]
        own = values[candidates]
        if len(own) >= MIN_LIST_FOR_OWN_STATS:
            mean, std = float(own.mean()), float(own.std()) or 1.0
            floor = (float(own.min()) - mean) / std
            z = np.maximum(np.where(np.isfinite(picked), (picked - mean) / std, floor), floor)
        else:
            every = values[np.isfinite(values)]
            mean, std = float(every.mean()), float(every.std()) or 1.0
            z = np.where(np.isfinite(picked), (picked - mean) / std, 0.0)
        fused += weights.get(name, 1.0) * z.astype(np.float32)
    order = np.argsort(-fused, kind="stable")
    return union[order], fused[order]
