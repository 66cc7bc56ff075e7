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
    also_anchor_id: int | None = None  # a second liked film nearly as close as the anchor


# A second liked film is named in the reason ("Similar to Heat and Alien") when it contributes
# at least this share of what the anchor does.
SECOND_ANCHOR_SHARE = 0.85


@dataclass(frozen=True)
class Anchor:
    index: int  # column of the liked film in the history
    second: int | None
    evidence: str
    co_liked: bool


def anchors_of(content: np.ndarray, collaborative: np.ndarray, weight: float) -> list[Anchor]:
    """For each pick (row), the liked film (column) contributing most, content (cosines) and
    ratings (EASE weights) each scaled to at most 1 and blended by the content weight."""

    def scaled(matrix: np.ndarray) -> np.ndarray:
        top = float(np.abs(matrix).max()) if matrix.size else 0.0
        return matrix / top if top else matrix

    content_part = weight * scaled(content)
    collaborative_part = (1 - weight) * scaled(collaborative)
    total = content_part + collaborative_part
    anchors = []
    for row in range(total.shape[0]):
        order = np.argsort(-total[row], kind="stable")
        best = int(order[0])
        second = int(order[1]) if len(order) > 1 else None
        if second is not None and not (
            total[row, best] > 0 and total[row, second] >= SECOND_ANCHOR_SHARE * total[row, best]
        ):
            second = None
        evidence = (
            "content"
            if content_part[row, best] >= collaborative_part[row, best]
            else "collaborative"
        )
        anchors.append(Anchor(best, second, evidence, bool(collaborative[row, best] > 0)))
    return anchors


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

    def collaborative_scores(self, history: np.ndarray) -> np.ndarray:
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
            collaborative=self.collaborative_scores(history),
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
        collaborative = self.ease_block(best, history)
        return [
            Pick(
                movie_id=int(art.item_ids[item]),
                score=float(scores[item]),
                anchor_id=int(art.item_ids[history[anchor.index]]),
                evidence=anchor.evidence,
                co_liked=anchor.co_liked,
                also_anchor_id=(
                    int(art.item_ids[history[anchor.second]]) if anchor.second is not None else None
                ),
            )
            for item, anchor in zip(best, anchors_of(content, collaborative, weight), strict=True)
        ]

    def ease_block(self, picks: np.ndarray, history: np.ndarray) -> np.ndarray:
        """EASE weight of each liked film (column) towards each pick (row), item positions;
        zero where a film is not covered by the collaborative model."""
        block = np.zeros((len(picks), len(history)), dtype=np.float32)
        pick_rows = self.collaborative_row[picks]
        liked_rows = self.collaborative_row[history]
        ok_p, ok_l = pick_rows >= 0, liked_rows >= 0
        if ok_p.any() and ok_l.any():
            weights = self.artifact.ease[np.ix_(liked_rows[ok_l], pick_rows[ok_p])].T
            block[np.ix_(ok_p, ok_l)] = weights
        return block

    def popularity_of(self, movie_ids: list[int]) -> dict[int, int]:
        positions = self.artifact.positions(movie_ids)
        return {int(self.artifact.item_ids[p]): int(self.artifact.popularity[p]) for p in positions}


_recommenders: dict[str, HybridRecommender] = {}


def recommender_for(artifact: RecommenderArtifact) -> HybridRecommender:
    if artifact.version not in _recommenders:
        _recommenders.clear()
        _recommenders[artifact.version] = HybridRecommender(artifact)
    return _recommenders[artifact.version]
