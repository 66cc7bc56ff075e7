"""Fusion: weighted reciprocal rank fusion of ranked candidate lists."""

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


def weighted_rrf(
    rankings: dict[str, np.ndarray], weights: dict[str, float], k: float
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ranked by sum(weight / (k + rank)), rank counted from 1, and their scores."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, position in enumerate(ranking.tolist(), start=1):
            fused[position] = fused.get(position, 0.0) + weight / (k + rank)
    if not fused:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    positions = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
    scores = np.fromiter(fused.values(), dtype=np.float32, count=len(fused))
    order = np.argsort(-scores, kind="stable")
    return positions[order], scores[order]
