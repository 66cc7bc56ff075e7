"""'More like this': the films nearest one film, by a blend of what they are about (the film
vector and the synopsis view the search holds in memory), who liked them (co-liking: the active
trained recommender's item weights, else the live likes), and what they share
(director, leading cast, keywords, genres). Title words alone no longer lead: a film vector
embeds the title, so "Heat" sat next to "In the Heat of the Night"; the synopsis view, the
credits and the co-liking do not see titles.

Every signal is put on the same footing before blending: 1 for the film's best match, 0 for
nothing in common (the cosines: 0 at the catalogue's mean). WEIGHTS says how many points each is
worth; bench/similar.py chose them (docs/benchmarks.md, "More like this").
"""

import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q

from movies.models import Credit, Movie
from recommendations.recommenders.artifacts import (
    RecommenderArtifact,
    active_recommender_artifact,
)
from recommendations.recommenders.live import single_threaded_blas
from recommendations.search.catalogue import CatalogueSnapshot
from recommendations.search.dense import DenseIndex
from viewers.models import Reaction

# Leading cast compared on both sides (billing order below this).
LEADING_CAST = 6
# Shared leading actors that count as a full cast match.
FULL_CAST_MATCH = 2
# Live co-liking (no trained recommender): at most this many of the film's likers are read,
# the most recent first, so that a film page stays a few small queries.
LIVE_VIEWERS = 300
# A pair of films needs this many viewers in common to count as co-liked (one is chance).
MIN_CO_VIEWERS = 2


@dataclass(frozen=True)
class SimilarWeights:
    """Points for each signal, each signal being 1 at its best (see the module docstring)."""

    film_vector: float
    synopsis: float
    director: float
    cast: float
    keywords: float
    genres: float
    co_liked: float


# Chosen by `python -m bench.similar --tune` on the bundled catalogue (docs/benchmarks.md).
# Content and credits: a grid (film vector fixed at 1, the blend being scale-free) scored by
# precision@10 against what half the MovieLens raters co-like; the most precise point whose
# top 5 hold at most a quarter of the film vector's title-word-only results. Co-liking is not
# tuned (precision against co-liking only grows with it): it counts as much as the film vector,
# half a shared director.
WEIGHTS = SimilarWeights(
    film_vector=1.0,
    synopsis=0.25,
    director=2.0,
    cast=2.0,
    keywords=1.0,
    genres=1.0,
    co_liked=1.0,
)
# The ranking before issue 16, for comparison (bench/similar.py): the film vector alone.
VECTOR_ONLY = SimilarWeights(
    film_vector=1.0, synopsis=0.0, director=0.0, cast=0.0, keywords=0.0, genres=0.0, co_liked=0.0
)


@dataclass
class Signals:
    """Per catalogue position, each in [0, 1] at best (the cosines can go below 0)."""

    film_vector: np.ndarray
    synopsis: np.ndarray
    director: np.ndarray
    cast: np.ndarray
    keywords: np.ndarray
    genres: np.ndarray
    co_liked: np.ndarray
    has_vector: np.ndarray  # bool: the film is in the dense index
    shared_directors: dict[int, list[str]] = field(default_factory=dict)
    shared_cast: dict[int, list[str]] = field(default_factory=dict)

    def blend(self, weights: SimilarWeights) -> np.ndarray:
        return (
            weights.film_vector * self.film_vector
            + weights.synopsis * self.synopsis
            + weights.director * self.director
            + weights.cast * self.cast
            + weights.keywords * self.keywords
            + weights.genres * self.genres
            + weights.co_liked * self.co_liked
        )


@dataclass(frozen=True)
class SimilarFilm:
    position: int  # in the catalogue snapshot
    score: float
    reason: str
    signals: dict[str, float]


# --- Content -----------------------------------------------------------------------------


def _scaled_cosine(cosines: np.ndarray, present: np.ndarray, position: int) -> np.ndarray:
    """0 at the mean film, 1 at the nearest other film; films without a vector get 0."""
    out = np.zeros(len(cosines), dtype=np.float32)
    others = present.copy()
    if position >= 0:
        others[position] = False
    if not others.any():
        return out
    mean = float(cosines[others].mean())
    top = float(cosines[others].max())
    out[others] = (cosines[others] - mean) / ((top - mean) or 1.0)
    return out


_Content = tuple[np.ndarray, np.ndarray, np.ndarray]  # film vector, synopsis view, has_vector


def _contents(
    dense: DenseIndex | None, movie_ids: list[int], positions: list[int], size: int
) -> list[_Content]:
    """Per film, its (film vector, synopsis view) signals by catalogue position, and which
    films have a vector. Several films are compared in one product per matrix: at 36k films a
    matrix is 55 MB, read once for a person's three films instead of once a film."""
    zeros = np.zeros(size, dtype=np.float32)
    if dense is None:
        return [(zeros, zeros, np.zeros(size, dtype=bool))] * len(movie_ids)
    present = np.zeros(size, dtype=bool)
    present[dense.positions[dense.positions >= 0]] = True
    rows = np.searchsorted(dense.ids, movie_ids)
    indexed = [
        i
        for i, (row, movie_id) in enumerate(zip(rows, movie_ids, strict=True))
        if row < len(dense.ids) and dense.ids[row] == movie_id
    ]
    found: dict[int, _Content] = {}
    if indexed:
        picked = rows[indexed]
        views = dense.synopses if dense.synopses is not None else dense.vectors
        if len(picked) == 1:  # one film, as a film page asks: a vector product
            films = (dense.vectors @ dense.vectors[picked[0]])[:, None]
            synopses = (views @ views[picked[0]])[:, None]
        else:  # one column a film
            films = dense.vectors @ dense.vectors[picked].T
            synopses = views @ views[picked].T
        for column, i in enumerate(indexed):
            film = dense.snapshot_scores(np.ascontiguousarray(films[:, column]), size)
            synopsis = dense.snapshot_scores(np.ascontiguousarray(synopses[:, column]), size)
            found[i] = (
                _scaled_cosine(film, present, positions[i]),
                _scaled_cosine(synopsis, present, positions[i]),
                present,
            )
    return [found.get(i, (zeros, zeros, present)) for i in range(len(movie_ids))]


# --- Keywords and genres, from the search's catalogue snapshot ---------------------------


@dataclass(frozen=True)
class _TagIndex:
    keyword_films: dict[str, np.ndarray]  # lower-cased keyword -> positions
    keyword_idf: dict[str, float]
    genre_counts: np.ndarray  # genres per film


_tag_lock = threading.Lock()
_tag_index: dict[tuple, _TagIndex] = {}


def _tags(snapshot: CatalogueSnapshot) -> _TagIndex:
    """Keyword postings and idf, built once per catalogue snapshot."""
    with _tag_lock:
        if (found := _tag_index.get(snapshot.stamp)) is not None:
            return found
        postings: dict[str, list[int]] = defaultdict(list)
        for position, names in enumerate(snapshot.keywords_at):
            for name in names:
                postings[name.lower()].append(position)
        size = max(snapshot.size, 1)
        index = _TagIndex(
            keyword_films={k: np.array(v, dtype=np.int64) for k, v in postings.items()},
            keyword_idf={k: math.log(1 + size / len(v)) for k, v in postings.items()},
            genre_counts=np.array([len(g) for g in snapshot.genres_at], dtype=np.float32),
        )
        _tag_index.clear()
        _tag_index[snapshot.stamp] = index
        return index


def prepare_similar(snapshot: CatalogueSnapshot) -> None:
    """Builds the snapshot's keyword postings now (a worker's warm-up) rather than in the first
    "more like this" or title search after it (about 25 ms at 4,803 films)."""
    _tags(snapshot)


def _keywords(snapshot: CatalogueSnapshot, tags: _TagIndex, position: int) -> np.ndarray:
    """Share of the film's keyword information (idf-weighted) that each film has too: a rare
    keyword ("bank robbery") counts for more than a common one ("based on novel")."""
    out = np.zeros(snapshot.size, dtype=np.float32)
    own = {k.lower() for k in snapshot.keywords_at[position]}
    total = sum(tags.keyword_idf.get(k, 0.0) for k in own)
    for keyword in own:
        if (films := tags.keyword_films.get(keyword)) is not None:
            out[films] += tags.keyword_idf[keyword] / total
    return out


def _genres(snapshot: CatalogueSnapshot, tags: _TagIndex, position: int) -> np.ndarray:
    """Jaccard overlap of the genre sets."""
    own = [g.lower() for g in snapshot.genres_at[position]]
    shared = np.zeros(snapshot.size, dtype=np.float32)
    for name in own:
        if (mask := snapshot.genre_masks.get(name)) is not None:
            shared += mask
    union = tags.genre_counts + len(own) - shared
    return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)


# --- Credits -----------------------------------------------------------------------------


def _leading(role: str, order: int) -> bool:
    return role == Credit.Role.DIRECTOR or (role == Credit.Role.CAST and order < LEADING_CAST)


def _credits(snapshot: CatalogueSnapshot, movie_id: int):
    """Films sharing a director or a leading actor with this one. Two queries by indexed
    columns; roles are filtered here, since with a role condition SQLite picks the role index
    and reads every director's credit (9 ms against 3 ms, bundled catalogue)."""
    size = snapshot.size
    director, cast = np.zeros(size, np.float32), np.zeros(size, np.float32)
    shared_directors: dict[int, list[str]] = defaultdict(list)
    shared_cast: dict[int, list[str]] = defaultdict(list)
    own = Credit.objects.filter(movie_id=movie_id).order_by()
    people = {
        (p, role)
        for p, role, order in own.values_list("person_id", "role", "order")
        if _leading(role, order)
    }
    if not people:
        return director, cast, {}, {}
    rows = [
        (movie, role, name)
        for movie, person, role, order, name in Credit.objects.filter(
            person_id__in={p for p, _ in people}
        )
        .order_by("movie_id", "order")
        .values_list("movie_id", "person_id", "role", "order", "person__name")
        if movie != movie_id and (person, role) in people and _leading(role, order)
    ]
    positions = snapshot.positions(np.array([r[0] for r in rows], dtype=np.int64))
    for position, (_, role, name) in zip(positions.tolist(), rows, strict=True):
        if position < 0:
            continue
        if role == Credit.Role.DIRECTOR:
            shared_directors[position].append(name)
        else:
            shared_cast[position].append(name)
    for position in shared_directors:
        director[position] = 1.0
    for position, names in shared_cast.items():
        cast[position] = min(len(names), FULL_CAST_MATCH) / FULL_CAST_MATCH
    return director, cast, dict(shared_directors), dict(shared_cast)


# --- Co-liking ---------------------------------------------------------------------------


def _scaled_positive(scores: np.ndarray) -> np.ndarray:
    """Positive part over its maximum: 1 for the most co-liked film."""
    scores = np.clip(scores, 0.0, None).astype(np.float32)
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def _trained_co_liking(
    snapshot: CatalogueSnapshot, artifact: RecommenderArtifact, movie_id: int
) -> np.ndarray | None:
    """The trained item-item weights (EASE) from this film to every film it covers, by
    catalogue position; None when the model does not cover the film."""
    item = artifact.positions([movie_id])
    if item.size == 0:
        return None
    row = np.searchsorted(artifact.collaborative_items, item[0])
    if row >= len(artifact.collaborative_items) or artifact.collaborative_items[row] != item[0]:
        return None
    weights = artifact.ease[row]
    out = np.zeros(snapshot.size, dtype=np.float32)
    positions = snapshot.positions(artifact.item_ids[artifact.collaborative_items])
    known = positions >= 0
    out[positions[known]] = weights[known]
    return _scaled_positive(out)


def _likers_of(movie_id: int) -> tuple[list[int], list[str]]:
    """The film's signed-in and anonymous likers (the most recent few)."""
    likes = Reaction.objects.filter(movie_id=movie_id, value=Reaction.Value.LIKE).order_by(
        "-created_at"
    )[:LIVE_VIEWERS]
    users, anonymous = [], []
    for user_id, anonymous_id in likes.values_list("user_id", "anonymous_id"):
        if user_id:
            users.append(user_id)
        else:
            anonymous.append(anonymous_id)
    return users, anonymous


def _live_co_liking(snapshot: CatalogueSnapshot, movie_id: int) -> np.ndarray:
    """Cosine of the film's likers with each film's likers, from the database: item-kNN for
    one film over viewers' likes. Imported ratings come in through the trained model only:
    read live they cost 200-300 ms a page on the bundled catalogue (docs/benchmarks.md)."""
    out = np.zeros(snapshot.size, dtype=np.float32)
    users, anonymous = _likers_of(movie_id)
    if not (users or anonymous):
        return out
    liked = Reaction.objects.filter(value=Reaction.Value.LIKE)
    together = Counter(
        liked.filter(
            Q(user_id__in=users) | Q(user__isnull=True, anonymous_id__in=anonymous)
        ).values_list("movie_id", flat=True)
    )
    together.pop(movie_id, None)
    co = {m: n for m, n in together.items() if n >= MIN_CO_VIEWERS}
    if not co:
        return out
    totals = dict(
        liked.filter(movie_id__in=list(co))
        .values("movie_id")
        .annotate(n=Count("id"))
        .values_list("movie_id", "n")
    )
    own = len(users) + len(anonymous)
    ids = np.array(list(co), dtype=np.int64)
    cosine = np.array(
        [co[m] / math.sqrt(own * max(totals.get(m, 0), co[m])) for m in co], np.float32
    )
    positions = snapshot.positions(ids)
    known = positions >= 0
    out[positions[known]] = cosine[known]
    return _scaled_positive(out)


def co_liking(snapshot: CatalogueSnapshot, movie_id: int) -> np.ndarray:
    """Co-liking by catalogue position, 1 for the most co-liked film: the active trained
    recommender's item weights (ratings and likes) where it covers the film, else the live
    likes."""
    artifact = active_recommender_artifact()
    if artifact is not None:
        trained = _trained_co_liking(snapshot, artifact, movie_id)
        if trained is not None:
            return trained
    return _live_co_liking(snapshot, movie_id)


# --- Together ----------------------------------------------------------------------------


def similar_signals(
    snapshot: CatalogueSnapshot,
    dense: DenseIndex | None,
    movie_id: int,
    content: _Content | None = None,
) -> Signals | None:
    """Every signal for the film, or None when the film is not in the catalogue snapshot.
    content: its `_contents`, where they were made with other films'."""
    position = snapshot.positions_of(movie_id)
    if position < 0:
        return None
    tags = _tags(snapshot)
    if content is None:
        (content,) = _contents(dense, [movie_id], [position], snapshot.size)
    film, synopsis, has_vector = content
    director, cast, shared_directors, shared_cast = _credits(snapshot, movie_id)
    return Signals(
        film_vector=film,
        synopsis=synopsis,
        director=director,
        cast=cast,
        keywords=_keywords(snapshot, tags, position),
        genres=_genres(snapshot, tags, position),
        co_liked=co_liking(snapshot, movie_id),
        has_vector=has_vector,
        shared_directors=shared_directors,
        shared_cast=shared_cast,
    )


def _shared_keywords(snapshot: CatalogueSnapshot, a: int, b: int) -> list[str]:
    theirs = {k.lower() for k in snapshot.keywords_at[b]}
    return [k for k in snapshot.keywords_at[a] if k.lower() in theirs]


def similar_reason(
    snapshot: CatalogueSnapshot, signals: Signals, source: int, position: int, title: str
) -> str:
    """One line a viewer can read: the strongest fact the two films share."""
    if names := signals.shared_directors.get(position):
        return f"Same director: {names[0]}"
    if names := signals.shared_cast.get(position):
        return f"Shares cast: {' and '.join(names[:2])}"
    if signals.co_liked[position] >= 0.25:
        return f"Viewers who liked {title} liked it"
    if keywords := _shared_keywords(snapshot, source, position):
        return f"Shares keywords: {', '.join(keywords[:3])}"
    theirs = {g.lower() for g in snapshot.genres_at[position]}
    if genres := [g.lower() for g in snapshot.genres_at[source] if g.lower() in theirs]:
        return f"Also {', '.join(genres[:2])}, close in story"
    return "Close in story and tone"


def similar_scores(
    snapshot: CatalogueSnapshot,
    dense: DenseIndex | None,
    movie_id: int,
    weights: SimilarWeights = WEIGHTS,
) -> tuple[Signals, np.ndarray] | None:
    """The film's signals and every film's blended score by catalogue position, -inf for the
    film itself and for films with nothing to compare; None when it is not in the snapshot."""
    return similar_scores_of(snapshot, dense, [movie_id], weights)[0]


def similar_scores_of(
    snapshot: CatalogueSnapshot,
    dense: DenseIndex | None,
    movie_ids: list[int],
    weights: SimilarWeights = WEIGHTS,
) -> list[tuple[Signals, np.ndarray] | None]:
    """`similar_scores` for each of several films (a person's first films), their content
    compared in one product per matrix."""
    positions = [snapshot.positions_of(movie_id) for movie_id in movie_ids]
    with single_threaded_blas():  # a few small products: BLAS threads only wait for cores
        in_snapshot = [i for i, p in enumerate(positions) if p >= 0]
        contents = _contents(
            dense,
            [movie_ids[i] for i in in_snapshot],
            [positions[i] for i in in_snapshot],
            snapshot.size,
        )
        signals_of = {
            i: similar_signals(snapshot, dense, movie_ids[i], content)
            for i, content in zip(in_snapshot, contents, strict=True)
        }
    return [
        _blended(signals_of[i], weights, positions[i]) if i in signals_of else None
        for i in range(len(movie_ids))
    ]


def _blended(
    signals: Signals | None, weights: SimilarWeights, position: int
) -> tuple[Signals, np.ndarray] | None:
    if signals is None:
        return None
    scores = signals.blend(weights)
    # A film with no vector of its own (not indexed yet, or Chroma down) is compared on what
    # it shares; the rest of the catalogue does not tie at zero behind them.
    has_own_vector = bool(signals.film_vector.any())
    candidates = (signals.has_vector & has_own_vector) | (scores > 0)
    candidates[position] = False
    return signals, np.where(candidates, scores, -np.inf)


def similar_films(
    snapshot: CatalogueSnapshot,
    dense: DenseIndex | None,
    movie_id: int,
    *,
    top_k: int,
    weights: SimilarWeights = WEIGHTS,
) -> list[SimilarFilm]:
    """The top_k films most like this one, best first, itself excluded. Without vectors
    (Chroma down, or the film not indexed yet) only films sharing something (credits, tags,
    likers) are returned."""
    found = similar_scores(snapshot, dense, movie_id, weights)
    if found is None:
        return []
    signals, scores = found
    position = snapshot.positions_of(movie_id)
    top_k = min(top_k, int(np.isfinite(scores).sum()))
    if top_k <= 0:
        return []
    best = np.argpartition(-scores, top_k - 1)[:top_k]
    best = best[np.argsort(-scores[best], kind="stable")]
    title = Movie.objects.filter(pk=movie_id).values_list("title", flat=True).first() or ""
    names = ("film_vector", "synopsis", "director", "cast", "keywords", "genres", "co_liked")
    return [
        SimilarFilm(
            position=int(p),
            score=float(scores[p]),
            reason=similar_reason(snapshot, signals, position, int(p), title),
            signals={n: round(float(getattr(signals, n)[p]), 4) for n in names},
        )
        for p in best
    ]
