"""What the rerank stage reads: the fused candidates, best first, each with the text the
cross-encoder reads and the index vector its dense prior uses."""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Candidate:
    movie_id: int
    text: str  # recommendations.embedding.film_text(movie)
    vector: np.ndarray | None = None  # the film's unit vector from the index, when known
    stage_scores: dict[str, float] = field(default_factory=dict)
