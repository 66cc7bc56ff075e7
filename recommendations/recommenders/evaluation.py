"""Offline evaluation on MovieLens: a per-user time-ordered split (each user's last 20% held out)
and Recall@k / NDCG@k for popularity, item-kNN, EASE, content-only and the hybrid, scored by the
same functions the live recommender uses."""

import csv
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
    train, test = {}, {}
    for user, items in by_user.items():
        if len(items) < 2:
            continue
        held = min(len(items) - 1, max(1, math.ceil(holdout * len(items))))
        train[user], test[user] = items[:-held], items[-held:]
    return Split(train=train, test=test)


def recall_at_k(ranked: list[int], relevant: set[int], k: int = K) -> float:
    """Hits in the top k over the most that could be hit, min(k, |relevant|)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def ndcg_at_k(ranked: list[int], relevant: set[int], k: int = K) -> float:
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


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
    directory: Path, encode: Callable[[list[str]], np.ndarray]
) -> dict[int, np.ndarray]:
    """Vectors of the MovieLens films, embedded once and cached under RECSYS_DATA_DIR/eval."""
    from recommendations.embedding import index_fingerprint

    texts = movielens_texts(directory)
    ids = sorted(texts)
    digest = hashlib.sha1(
        (index_fingerprint() + "\n".join(texts[i] for i in ids)).encode()
    ).hexdigest()[:16]
    cache = Path(settings.DATA_DIR) / "eval" / f"movielens-vectors-{digest}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        vectors = encode([texts[i] for i in ids])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return dict(zip(ids, vectors, strict=True))


Scorer = Callable[[np.ndarray], np.ndarray]


def evaluate(
    split: Split,
    vectors: dict[int, np.ndarray],
    *,
    k: int = K,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Fit every method on the train part and score each user's held-out items."""
    step = progress or (lambda name: None)
    items = np.asarray(sorted({i for its in split.train.values() for i in its}), dtype=np.int64)
    users = sorted(split.train)
    position = {int(item): p for p, item in enumerate(items)}
    rows, cols = [], []
    for row, user in enumerate(users):
        for item in split.train[user]:
            rows.append(row)
            cols.append(position[item])
    X = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(users), len(items))
    )
    X.data[:] = 1.0

    timings = {}
    started = time.monotonic()
    popularity = algorithms.popularity_fit(X)
    timings["popularity"] = time.monotonic() - started
    started = time.monotonic()
    knn = algorithms.item_knn_fit(X)
    timings["item_knn"] = time.monotonic() - started
    step("item-kNN fitted")
    started = time.monotonic()
    covered = np.flatnonzero(popularity >= 2)
    ease_small = algorithms.ease_fit(X[:, covered])
    timings["ease"] = time.monotonic() - started
    step("EASE fitted")

    in_collaborative = np.zeros(len(items), dtype=bool)
    in_collaborative[covered] = True
    collaborative_row = np.full(len(items), -1)
    collaborative_row[covered] = np.arange(len(covered))
    V = np.zeros((len(items), next(iter(vectors.values())).shape[0]), np.float32)
    has_vector = np.zeros(len(items), dtype=bool)
    for item, p in position.items():
        if item in vectors:
            V[p], has_vector[p] = vectors[item], True

    def ease(history: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(items), np.float32)
        rows_ = collaborative_row[history]
        scores[covered] = algorithms.collaborative_scores(ease_small, rows_[rows_ >= 0])
        return scores

    def hybrid(history: np.ndarray) -> np.ndarray:
        return algorithms.hybrid_scores(
            collaborative=ease(history),
            content=algorithms.content_scores(V, history),
            n_likes=len(history),
            has_vector=has_vector,
            in_collaborative=in_collaborative,
        ).scores

    methods: dict[str, Scorer] = {
        "popularity": lambda history: popularity,
        "item_knn": lambda history: algorithms.collaborative_scores(knn, history),
        "content": lambda history: algorithms.content_scores(V, history),
        "ease": ease,
        "hybrid": hybrid,
    }
    scenarios = {"full history": None} | {
        f"first {n} film{'s' if n > 1 else ''}": n for n in COLD_START_HISTORIES
    }
    results: dict = {}
    for scenario, limit in scenarios.items():
        results[scenario] = {}
        for name, scorer in methods.items():
            recalls, ndcgs = [], []
            for user in users:
                history = np.asarray([position[i] for i in split.train[user][:limit]])
                relevant = set(split.test[user])
                best = algorithms.top_n(scorer(history), k, exclude=history)
                ranked = [int(items[i]) for i in best]
                recalls.append(recall_at_k(ranked, relevant, k))
                ndcgs.append(ndcg_at_k(ranked, relevant, k))
            results[scenario][name] = {
                f"recall@{k}": round(float(np.mean(recalls)), 4),
                f"ndcg@{k}": round(float(np.mean(ndcgs)), 4),
            }
            step(f"{scenario}: {name}")
    return {
        "users": len(users),
        "items": len(items),
        "train_interactions": int(X.nnz),
        "test_interactions": sum(len(v) for v in split.test.values()),
        "fit_seconds": {name: round(t, 2) for name, t in timings.items()},
        "results": results,
    }
