"""The home rows' recommender. A viewer's likes are scored against the film vectors the search
already holds in memory (recommendations.search.dense), so a like shapes the rows on the very
next request with no training; when a trained collaborative model is active its EASE scores are
blended in (algorithms.row_scores). Everything is laid out by catalogue snapshot position, so
a film added after the last training still gets content scores."""

import threading

import numpy as np

from recommendations.recommenders import algorithms
from recommendations.recommenders.artifacts import (
    RecommenderArtifact,
    active_recommender_artifact,
)
from recommendations.recommenders.live import (
    Pick,
    anchors_of,
    recommender_for,
    single_threaded_blas,
)
from recommendations.search.catalogue import CatalogueSnapshot, get_snapshot
from recommendations.search.dense import DenseIndex, DenseUnavailable, get_dense_index

# A trained model's interaction counts become "Popular" only once there are this many: a fresh
# install's handful of likes says less than the catalogue's own public figures (vote counts).
MIN_INTERACTIONS_FOR_POPULARITY = 1000

# Without a collaborative model there is nothing offline to tune a content-only blend on (the
# MovieLens films have no synopses): the rows lean on the liked films' vectors, popularity only
# breaking near-ties. A product choice, as algorithms.RELATED.
CONTENT_LED = algorithms.RowBlend(bands=((1_000_000, 1.0, 0.3),))
# "Because you liked X" rows are about X: mostly its vector, a little co-liking and popularity.
BECAUSE = algorithms.RowBlend(bands=((1_000_000, 0.85, 0.25),))


class RowRecommender:
    def __init__(
        self,
        snapshot: CatalogueSnapshot,
        dense: DenseIndex | None,
        artifact: RecommenderArtifact | None,
    ) -> None:
        n = snapshot.size
        self.snapshot, self.dense, self.artifact = snapshot, dense, artifact
        # snapshot position -> row of the dense matrix (-1: no vector)
        self.dense_row = np.full(n, -1, dtype=np.int64)
        if dense is not None:
            present = dense.positions >= 0
            self.dense_row[dense.positions[present]] = np.flatnonzero(present)
        self.has_vector = self.dense_row >= 0
        self.collaborative = recommender_for(artifact) if artifact is not None else None
        # artifact item position -> snapshot position (-1: film gone since training)
        self.item_position = (
            snapshot.positions(artifact.item_ids) if artifact is not None else np.zeros(0, int)
        )
        self.in_collaborative = np.zeros(n, dtype=bool)
        self.interactions = np.zeros(n, dtype=np.float32)
        self.artifact_item = np.full(n, -1, dtype=np.int64)  # snapshot position -> item position
        if artifact is not None:
            known = self.item_position >= 0
            self.artifact_item[self.item_position[known]] = np.flatnonzero(known)
            self.interactions[self.item_position[known]] = artifact.popularity[known]
            covered = self.item_position[artifact.collaborative_items]
            self.in_collaborative[covered[covered >= 0]] = True
        self.popularity_is_interactions = bool(
            artifact is not None
            and (
                self.interactions.sum() >= MIN_INTERACTIONS_FOR_POPULARITY
                or not snapshot.popularity.any()
            )
        )
        self.popularity = (
            self.interactions if self.popularity_is_interactions else snapshot.popularity
        )

    @property
    def has_collaborative(self) -> bool:
        return bool(self.in_collaborative.any())

    def positions(self, movie_ids) -> np.ndarray:
        found = self.snapshot.positions(np.asarray(list(movie_ids), dtype=np.int64))
        return found[found >= 0]

    def _film_views(self, rows: np.ndarray) -> np.ndarray:
        """Each film as the mean of its film-text vector and its synopsis vector: the film text
        alone leads with title words (Heat -> "In the Heat of the Night"), the synopsis view
        with the story."""
        vectors = self.dense.vectors[rows]
        if self.dense.synopses is None:
            return vectors
        return (vectors + self.dense.synopses[rows]) / 2

    def _content(self, history: np.ndarray) -> np.ndarray:
        """Mean similarity of every film to the liked films (0 without vectors)."""
        scores = np.zeros(self.snapshot.size, dtype=np.float32)
        rows = self.dense_row[history]
        rows = rows[rows >= 0]
        if self.dense is None or rows.size == 0:
            return scores
        liked = self._film_views(rows).mean(axis=0)
        similarity = self.dense.vectors @ liked
        if self.dense.synopses is not None:  # the two views, without a third matrix in memory
            similarity = (similarity + self.dense.synopses @ liked) / 2
        present = self.dense.positions >= 0
        scores[self.dense.positions[present]] = similarity[present]
        return scores

    def _collaborative_scores(self, history: np.ndarray) -> np.ndarray:
        scores = np.zeros(self.snapshot.size, dtype=np.float32)
        if self.collaborative is None:
            return scores
        items = self.artifact_item[history]
        by_item = self.collaborative.collaborative_scores(items[items >= 0])
        known = self.item_position >= 0
        scores[self.item_position[known]] = by_item[known]
        return scores

    def _cooccurrence(self, history: np.ndarray) -> np.ndarray | None:
        """Co-watching with the liked films ("viewers who watched them also watched"), by
        snapshot position; None without a trained model or with one saved before co-occurrence
        was computed."""
        if self.artifact is None or self.artifact.cooccurrence is None:
            return None
        items = self.artifact_item[history]
        by_item = algorithms.collaborative_scores(self.artifact.cooccurrence, items[items >= 0])
        scores = np.zeros(self.snapshot.size, dtype=np.float32)
        known = self.item_position >= 0
        scores[self.item_position[known]] = by_item[known]
        return scores

    def default_blend(self) -> algorithms.RowBlend:
        return algorithms.ROWS if self.has_collaborative else CONTENT_LED

    def recommend(
        self,
        liked_ids: list[int],
        *,
        n: int,
        taken: np.ndarray,
        within: np.ndarray | None = None,
        blend: algorithms.RowBlend | None = None,
    ) -> list[Pick]:
        """The n best films for these likes that are not `taken` (bool per snapshot position),
        optionally only `within` a mask, each with the liked film it comes from."""
        history = self.positions(liked_ids)
        if history.size == 0:
            return self.popular(n=n, taken=taken, within=within)
        with single_threaded_blas():
            scored = algorithms.row_scores(
                collaborative=self._collaborative_scores(history),
                content=self._content(history),
                n_likes=len(history),
                has_vector=self.has_vector,
                in_collaborative=self.in_collaborative,
                popularity=self.popularity,
                cooccurrence=self._cooccurrence(history),
                blend=blend or self.default_blend(),
            )
            scores = scored.scores
            if within is not None:
                scores = np.where(within, scores, -np.inf)
            best = algorithms.top_n(scores, n, exclude=np.flatnonzero(taken))
            return self._anchored(best, history, scores, scored.content_weight)

    def _anchored(
        self, best: np.ndarray, history: np.ndarray, scores: np.ndarray, weight: float
    ) -> list[Pick]:
        content = np.zeros((len(best), len(history)), dtype=np.float32)
        if self.dense is not None:
            pick_rows, liked_rows = self.dense_row[best], self.dense_row[history]
            ok_p, ok_l = pick_rows >= 0, liked_rows >= 0
            if ok_p.any() and ok_l.any():
                similarity = (
                    self._film_views(pick_rows[ok_p]) @ self._film_views(liked_rows[ok_l]).T
                )
                content[np.ix_(ok_p, ok_l)] = similarity
        collaborative = np.zeros_like(content)
        if self.collaborative is not None:
            pick_items, liked_items = self.artifact_item[best], self.artifact_item[history]
            ok_p, ok_l = pick_items >= 0, liked_items >= 0
            if ok_p.any() and ok_l.any():
                block = self.collaborative.ease_block(pick_items[ok_p], liked_items[ok_l])
                collaborative[np.ix_(ok_p, ok_l)] = block
        ids = self.snapshot.ids
        return [
            Pick(
                movie_id=int(ids[item]),
                score=float(scores[item]),
                anchor_id=int(ids[history[anchor.index]]),
                evidence=anchor.evidence,
                co_liked=anchor.co_liked,
                also_anchor_id=(
                    int(ids[history[anchor.second]]) if anchor.second is not None else None
                ),
            )
            for item, anchor in zip(best, anchors_of(content, collaborative, weight), strict=True)
        ]

    def popular(self, *, n: int, taken: np.ndarray, within: np.ndarray | None = None) -> list[Pick]:
        """The most popular films not taken: the catalogue's public figures, or the trained
        model's interaction counts once it has enough of them."""
        scores = self.popularity.astype(np.float32)
        if within is not None:
            scores = np.where(within, scores, -np.inf)
        best = algorithms.top_n(scores, n, exclude=np.flatnonzero(taken))
        return [Pick(int(self.snapshot.ids[i]), float(scores[i])) for i in best]

    def interaction_counts(self, movie_ids: list[int]) -> dict[int, int]:
        positions = self.positions(movie_ids)
        return {int(self.snapshot.ids[p]): int(self.interactions[p]) for p in positions}


_lock = threading.Lock()
_current: dict[tuple, RowRecommender] = {}


def row_recommender() -> RowRecommender:
    """The recommender for the current catalogue, vectors and trained model, built once per
    process for each combination (a few arrays over the catalogue)."""
    snapshot = get_snapshot()
    try:
        dense = get_dense_index(snapshot)
    except DenseUnavailable:
        dense = None  # Chroma down and never loaded: collaborative and popularity only
    artifact = active_recommender_artifact()
    key = (
        snapshot.stamp,
        id(dense),
        dense.stamp if dense is not None else None,
        artifact.version if artifact is not None else None,
    )
    with _lock:
        if key not in _current:
            _current.clear()
            _current[key] = RowRecommender(snapshot, dense, artifact)
        return _current[key]
