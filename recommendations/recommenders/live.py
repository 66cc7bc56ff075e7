"""The hybrid recommender serving viewers: scores the catalogue for a viewer's likes and says,
for each pick, which liked film it comes from and through which evidence."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from recommendations.recommenders import algorithms
from recommendations.recommenders.artifacts import RecommenderArtifact


@dataclass(frozen=True)
class Pick:
    movie_id: int
    score: float
    anchor_id: int | None = None  # the liked film this pick is closest to
    evidence: str = "popular"  # "content", "collaborative" or "popular"
    co_liked: bool = False  # raters who liked the anchor also liked this film (EASE weight > 0)


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def single_threaded_blas():
    """Scoring one viewer is a few small products: BLAS threads only fight the other requests
    (7x slower on a busy 2-core machine, measured in bench/home.py)."""
    return _threadpools().limit(limits=1, user_api="blas")


class HybridRecommender:
    def __init__(self, artifact: RecommenderArtifact) -> None:
        self.artifact = artifact
        n = len(artifact.item_ids)
        self.in_collaborative = np.zeros(n, dtype=bool)
        self.in_collaborative[artifact.collaborative_items] = True
        # item position -> row of the EASE matrix (-1 where not covered)
        self.collaborative_row = np.full(n, -1, dtype=np.int64)
        self.collaborative_row[artifact.collaborative_items] = np.arange(
            len(artifact.collaborative_items)
        )

    def _collaborative(self, history: np.ndarray) -> np.ndarray:
        rows = self.collaborative_row[history]
        rows = rows[rows >= 0]
        scores = np.zeros(len(self.artifact.item_ids), dtype=np.float32)
        if rows.size:
            scores[self.artifact.collaborative_items] = algorithms.collaborative_scores(
                self.artifact.ease, rows
            )
        return scores

    def blend(
        self, liked_ids: list[int], params: algorithms.HybridParams = algorithms.HYBRID
    ) -> algorithms.Blend:
        history = self.artifact.positions(liked_ids)
        return algorithms.hybrid_scores(
            collaborative=self._collaborative(history),
            content=algorithms.content_scores(self.artifact.vectors, history),
            n_likes=len(history),
            has_vector=self.artifact.has_vector,
            in_collaborative=self.in_collaborative,
            popularity=self.artifact.popularity,
            params=params,
        )

    def recommend(
        self,
        *,
        liked_ids: list[int],
        exclude_ids: set[int] | frozenset = frozenset(),
        n: int = 20,
        within_ids: list[int] | None = None,
        params: algorithms.HybridParams = algorithms.HYBRID,
    ) -> list[Pick]:
        """The viewer's n best films (optionally only among `within_ids`), each with its anchor.
        With no likes this is popularity."""
        with single_threaded_blas():
            return self._recommend(liked_ids, exclude_ids, n, within_ids, params)

    def _recommend(self, liked_ids, exclude_ids, n, within_ids, params) -> list[Pick]:
        art = self.artifact
        history = art.positions(liked_ids)
        if history.size == 0:
            scores = art.popularity.astype(np.float32)
            blend = None
        else:
            blend = self.blend(liked_ids, params)
            scores = blend.scores
        exclude = art.positions(exclude_ids | set(liked_ids))
        if within_ids is not None:
            allowed = np.zeros(len(art.item_ids), dtype=bool)
            allowed[art.positions(within_ids)] = True
            scores = np.where(allowed, scores, -np.inf)
        best = algorithms.top_n(scores, n, exclude=exclude)
        if blend is None:
            return [Pick(int(art.item_ids[i]), float(scores[i])) for i in best]
        return self._anchored(best, history, scores, blend.content_weight)

    def _anchored(
        self, best: np.ndarray, history: np.ndarray, scores: np.ndarray, weight: float
    ) -> list[Pick]:
        """For each pick, the liked film that contributes most, content and ratings blended."""
        art = self.artifact
        content = art.vectors[best] @ art.vectors[history].T  # picks x liked
        collaborative = np.zeros_like(content)
        pick_rows = self.collaborative_row[best]
        liked_rows = self.collaborative_row[history]
        ok_p, ok_l = pick_rows >= 0, liked_rows >= 0
        if ok_p.any() and ok_l.any():
            block = art.ease[np.ix_(liked_rows[ok_l], pick_rows[ok_p])].T
            collaborative[np.ix_(ok_p, ok_l)] = block

        def scaled(matrix: np.ndarray) -> np.ndarray:
            top = float(np.abs(matrix).max()) if matrix.size else 0.0
            return matrix / top if top else matrix

        content_part, collaborative_part = (
            weight * scaled(content),
            (1 - weight) * scaled(collaborative),
        )
        total = content_part + collaborative_part
        picks = []
        for row, item in enumerate(best):
            anchor = int(np.argmax(total[row]))
            evidence = (
                "content"
                if content_part[row, anchor] >= collaborative_part[row, anchor]
                else "collaborative"
            )
            picks.append(
                Pick(
                    movie_id=int(art.item_ids[item]),
                    score=float(scores[item]),
                    anchor_id=int(art.item_ids[history[anchor]]),
                    evidence=evidence,
                    co_liked=bool(collaborative[row, anchor] > 0),
                )
            )
        return picks

    def popularity_of(self, movie_ids: list[int]) -> dict[int, int]:
        positions = self.artifact.positions(movie_ids)
        return {int(self.artifact.item_ids[p]): int(self.artifact.popularity[p]) for p in positions}


_recommenders: dict[str, HybridRecommender] = {}


def recommender_for(artifact: RecommenderArtifact) -> HybridRecommender:
    if artifact.version not in _recommenders:
        _recommenders.clear()
        _recommenders[artifact.version] = HybridRecommender(artifact)
    return _recommenders[artifact.version]
