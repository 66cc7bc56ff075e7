"""Offline evaluation on MovieLens: a per-user time-ordered split (each user's last 20% held out)
and Recall@k / NDCG@k for popularity, item-kNN, EASE, content-only, the hybrid and the home rows'
recommender, scored by the same functions the live recommender uses."""

import csv
import dataclasses
import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from recommendations.lab.metrics import ndcg_at_k, recall_at_k
from recommendations.lab.progress import Progress, SilentProgress
from recommendations.recommenders import algorithms

HOLDOUT = 0.2
K = 10
COLD_START_HISTORIES = (1, 3)  # also score viewers who told us only this many films
MAX_TAGS = 12


@dataclass(frozen=True)
class Ratings:
    users: np.ndarray
    items: np.ndarray  # MovieLens movieId
    timestamps: np.ndarray


@dataclass(frozen=True)
class Split:
    """Train interactions per user (time order) and held-out items per user."""

    train: dict[int, list[int]]
    test: dict[int, list[int]]


def ratings_read(path: Path) -> Ratings:
    users, items, stamps = [], [], []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            users.append(int(row["userId"]))
            items.append(int(row["movieId"]))
            stamps.append(int(row["timestamp"]))
    return Ratings(np.asarray(users), np.asarray(items), np.asarray(stamps))


def time_split(ratings: Ratings, *, holdout: float = HOLDOUT) -> Split:
    """Each user's ratings in time order; the last ceil(holdout * n) are held out (at least one,
    and at least one kept for training)."""
    order = np.lexsort((ratings.items, ratings.timestamps, ratings.users))
    by_user: dict[int, list[int]] = defaultdict(list)
    for index in order:
        by_user[int(ratings.users[index])].append(int(ratings.items[index]))
    return split_histories(by_user, holdout=holdout)


def split_histories(by_user: dict[int, list[int]], *, holdout: float = HOLDOUT) -> Split:
    """Time-ordered histories -> train (the first part) and test (the last `holdout`). Applied
    to a split's train part, it gives the validation split used to tune the hybrid."""
    train, test = {}, {}
    for user, items in by_user.items():
        if len(items) < 2:
            continue
        held = min(len(items) - 1, max(1, math.ceil(holdout * len(items))))
        train[user], test[user] = items[:-held], items[-held:]
    return Split(train=train, test=test)


def movielens_texts(directory: Path) -> dict[int, str]:
    """Title, genres and the most used tags of each MovieLens film: the text we embed."""
    tags: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with open(directory / "tags.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tags[int(row["movieId"])][row["tag"].strip().lower()] += 1
    texts = {}
    with open(directory / "movies.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            movie_id = int(row["movieId"])
            genres = ", ".join(g for g in row["genres"].split("|") if g != "(no genres listed)")
            top = sorted(tags[movie_id].items(), key=lambda kv: -kv[1])[:MAX_TAGS]
            parts = [row["title"], f"Genres: {genres}." if genres else ""]
            if top:
                parts.append("Keywords: " + ", ".join(tag for tag, _ in top) + ".")
            texts[movie_id] = " ".join(p for p in parts if p)
    return texts


def movielens_vectors(
    directory: Path,
    encode: Callable[[list[str]], np.ndarray],
    *,
    cache_dir: Path | None = None,
) -> dict[int, np.ndarray]:
    """Vectors of the MovieLens films, embedded once and cached (RECSYS_DATA_DIR/eval)."""
    from recommendations.embedding import index_fingerprint

    texts = movielens_texts(directory)
    ids = sorted(texts)
    digest = hashlib.sha1(
        (index_fingerprint() + "\n".join(texts[i] for i in ids)).encode()
    ).hexdigest()[:16]
    cache = (
        cache_dir or Path(settings.RECSYS_DATA_DIR) / "eval"
    ) / f"movielens-vectors-{digest}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        vectors = encode([texts[i] for i in ids])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return dict(zip(ids, vectors, strict=True))


Scorer = Callable[[np.ndarray], np.ndarray]


class Fitted:
    """Every method fitted on a split's train part, as scorers of a history (item positions)."""

    def __init__(
        self, split: Split, vectors: dict[int, np.ndarray], progress: Progress | None = None
    ) -> None:
        progress = progress or SilentProgress()
        self.items = np.asarray(
            sorted({i for its in split.train.values() for i in its}), dtype=np.int64
        )
        self.users = sorted(split.train)
        self.position = {int(item): p for p, item in enumerate(self.items)}
        rows, cols = [], []
        for row, user in enumerate(self.users):
            for item in split.train[user]:
                rows.append(row)
                cols.append(self.position[item])
        shape = (len(self.users), len(self.items))
        self.X = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
        self.X.data[:] = 1.0
        self.timings: dict[str, float] = {}

        started = time.monotonic()
        self.popularity = algorithms.popularity_fit(self.X)
        self.timings["popularity"] = time.monotonic() - started
        started = time.monotonic()
        self.knn = algorithms.item_knn_fit(self.X)
        self.timings["item_knn"] = time.monotonic() - started
        progress.advance()  # item-kNN fitted
        started = time.monotonic()
        self.cooccurrence_table = algorithms.cooccurrence_fit(self.X)
        self.timings["cooccurrence"] = time.monotonic() - started
        started = time.monotonic()
        self.covered = np.flatnonzero(self.popularity >= 2)  # as training.MIN_INTERACTIONS
        self.ease_weights = algorithms.ease_fit(self.X[:, self.covered])
        self.timings["ease"] = time.monotonic() - started
        progress.advance()  # EASE fitted

        self.in_collaborative = np.zeros(len(self.items), dtype=bool)
        self.in_collaborative[self.covered] = True
        self.collaborative_row = np.full(len(self.items), -1)
        self.collaborative_row[self.covered] = np.arange(len(self.covered))
        dimensions = next(iter(vectors.values())).shape[0]
        self.V = np.zeros((len(self.items), dimensions), np.float32)
        self.has_vector = np.zeros(len(self.items), dtype=bool)
        for item, p in self.position.items():
            if item in vectors:
                self.V[p], self.has_vector[p] = vectors[item], True

    def history(self, items: list[int]) -> np.ndarray:
        return np.asarray([self.position[i] for i in items if i in self.position], np.int64)

    def ease(self, history: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.items), np.float32)
        rows = self.collaborative_row[history]
        scores[self.covered] = algorithms.collaborative_scores(self.ease_weights, rows[rows >= 0])
        return scores

    def content(self, history: np.ndarray) -> np.ndarray:
        return algorithms.content_scores(self.V, history)

    def cooccurrence(self, history: np.ndarray) -> np.ndarray:
        return algorithms.collaborative_scores(self.cooccurrence_table, history)

    def hybrid(
        self, history: np.ndarray, params: algorithms.HybridParams = algorithms.HYBRID
    ) -> np.ndarray:
        return algorithms.hybrid_scores(
            collaborative=self.ease(history),
            content=self.content(history),
            n_likes=len(history),
            has_vector=self.has_vector,
            in_collaborative=self.in_collaborative,
            popularity=self.popularity,
            params=params,
        ).scores

    def rows(self, history: np.ndarray, blend: algorithms.RowBlend = algorithms.ROWS) -> np.ndarray:
        """The home rows' recommender (algorithms.row_scores), as recommendations/home serves it."""
        return algorithms.row_scores(
            collaborative=self.ease(history),
            content=self.content(history),
            n_likes=len(history),
            has_vector=self.has_vector,
            in_collaborative=self.in_collaborative,
            popularity=self.popularity,
            cooccurrence=self.cooccurrence(history),
            blend=blend,
        ).scores

    def methods(self) -> dict[str, Scorer]:
        return {
            "popularity": lambda history: self.popularity,
            "item_knn": lambda history: algorithms.collaborative_scores(self.knn, history),
            "content": self.content,
            "ease": self.ease,
            "hybrid": self.hybrid,
            "rows": self.rows,
        }


SCENARIOS: dict[str, int | None] = {"full history": None} | {
    f"first {n} film{'s' if n > 1 else ''}": n for n in COLD_START_HISTORIES
}


def score_method(
    fitted: Fitted,
    split: Split,
    scorer: Scorer,
    limit: int | None,
    k: int = K,
    *,
    exclude_seen: bool = True,
):
    """Mean Recall@k and NDCG@k of one scorer over the users, history cut to `limit` films.

    The candidates are the films the user has not watched in the whole training part, whatever
    the recommender is told (`exclude_seen`), as in the full-history scenario. Without it (the
    protocol before 2026-12-05) a "first n films" viewer's films n+1.. of the training part
    stay candidates yet count as misses (they are not held out): a recommender that guesses
    what the viewer watched is penalised for it, and popularity, which guesses nothing, wins."""
    recalls, ndcgs = [], []
    for user in fitted.users:
        history = fitted.history(split.train[user][:limit])
        seen = fitted.history(split.train[user]) if exclude_seen else history
        relevant = set(split.test[user])
        best = algorithms.top_n(scorer(history), k, exclude=seen)
        ranked = [int(fitted.items[i]) for i in best]
        recalls.append(recall_at_k(ranked, relevant, k))
        ndcgs.append(ndcg_at_k(ranked, relevant, k))
    return {
        f"recall@{k}": round(float(np.mean(recalls)), 4),
        f"ndcg@{k}": round(float(np.mean(ndcgs)), 4),
    }


def evaluation_steps() -> int:
    """Units of progress in `evaluate`: two fits, each method in each scenario, and the
    cold-start scenarios again the old way (watched films kept)."""
    scenarios = len(COLD_START_HISTORIES) + 1
    return 2 + 6 * scenarios + len(COLD_START_HISTORIES)


def evaluate(
    split: Split,
    vectors: dict[int, np.ndarray],
    *,
    k: int = K,
    progress: Progress | None = None,
) -> dict:
    """Fit every method on the train part and score each user's held-out items."""
    progress = progress or SilentProgress()
    progress.start(evaluation_steps(), "evaluating the recommenders")
    fitted = Fitted(split, vectors, progress)
    results: dict = {}
    for scenario, limit in SCENARIOS.items():
        results[scenario] = {}
        for name, scorer in fitted.methods().items():
            results[scenario][name] = score_method(fitted, split, scorer, limit, k)
            progress.advance()
    # The same cold-start cases with the viewer's unseen-by-the-recommender films left among the
    # candidates (the protocol before 2026-12-05), reported so the two can be compared.
    seen_kept: dict = {}
    for scenario, limit in SCENARIOS.items():
        if limit is None:
            continue
        seen_kept[scenario] = {
            name: score_method(fitted, split, scorer, limit, k, exclude_seen=False)
            for name, scorer in fitted.methods().items()
        }
        progress.advance()
    return {
        "users": len(fitted.users),
        "items": len(fitted.items),
        "train_interactions": int(fitted.X.nnz),
        "test_interactions": sum(len(v) for v in split.test.values()),
        "hybrid": dataclasses.asdict(algorithms.HYBRID),
        "rows": dataclasses.asdict(algorithms.ROWS),
        "fit_seconds": {name: round(t, 2) for name, t in fitted.timings.items()},
        "results": results,
        "results_seen_films_kept": seen_kept,
    }
