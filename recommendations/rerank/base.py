"""The rerank stage's interface. The search pipeline hands a reranker the query and the fused
candidates (best first); the reranker returns one score per candidate, higher is better."""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Candidate:
    movie_id: int
    text: str  # recommendations.embedding.film_text(movie)
    # The candidate's unit vector from the index, when the pipeline has it (cosine reranking
    # uses it; the cross-encoder reads `text`).
    vector: np.ndarray | None = None
    stage_scores: dict[str, float] = field(default_factory=dict)


class Reranker(Protocol):
    name: str

    def score(self, query: str, candidates: list[Candidate]) -> list[float]: ...
