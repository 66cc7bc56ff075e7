"""The home page rows: which rows a viewer gets, and what each row holds with its reasons.

They live with the recommenders that fill them; viewers/ owns the feedback they read (its
selectors and models) and imports nothing from here.

Rows are loaded lazily, one request each. `home_row_specs` is cheap (the viewer's likes, the
curated rows, a few titles). The films of every row are allocated together, once per taste, by
`home_plan`: rows in page order each take their best films that no earlier row took, so no film
repeats on a page, and the plan is cached under a key made of everything it depends on (the
viewer's likes, dislikes and list, the catalogue, the vectors, the trained model, the curated
rows), so a like gives a new plan on the next request and the row requests of one page share
one plan. A disliked or liked film is in no row; a film on My list only in that row.
"""

import hashlib
from collections import deque
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, F, Max
from django.urls import reverse

from movies.models import Genre, Movie
from recommendations.recommenders.live import Pick
from recommendations.recommenders.reasons import film_facts, popular_reason, reasons_for
from recommendations.recommenders.rows import BECAUSE, RowRecommender, row_recommender
from viewers.actions import FilmActionUrls, film_action_urls
from viewers.models import CuratedRow, CuratedRowFilm
from viewers.selectors import ViewerTaste

ROW_SIZE = 12
BECAUSE_ROWS = 2
GENRE_ROWS = 2
PLAN_SECONDS = 600
NEW_FILMS_LOOKED_AT = 200  # the most recently added films "New in the catalogue" picks from


class RowKind:
    TOP_PICKS = "top-picks"
    BECAUSE = "because"
    CURATED = "curated"
    GENRE = "genre"
    DECADE = "decade"
    NEW = "new"
    MY_LIST = "my-list"
    POPULAR = "popular"
    ALL = (TOP_PICKS, BECAUSE, CURATED, GENRE, DECADE, NEW, MY_LIST, POPULAR)


# The query parameters a row URL may carry (each an integer): which film, genre, decade, row.
ROW_PARAMS = ("film", "genre", "decade", "row")


@dataclass(frozen=True)
class RowSpec:
    kind: str
    title: str
    url: str
    param: int | None = None  # the film, genre, decade or curated row the row is about

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.param or ''}"


@dataclass(frozen=True)
class Card:
    movie: Movie
    reason: str
    reaction: int | None
    in_list: bool

    @property
    def urls(self) -> FilmActionUrls:
        return film_action_urls(self.movie.pk)


@dataclass(frozen=True)
class Row:
    kind: str
    title: str
    cards: list[Card]
    empty_message: str = ""


def _spec(kind: str, title: str, *, param_name: str = "", param: int | None = None) -> RowSpec:
    url = reverse("recommendations:home_row", args=[kind])
    if param_name:
        url = f"{url}?{param_name}={param}"
    return RowSpec(kind, title, url, param)


def _viewer_genres(taste: ViewerTaste) -> list[Genre]:
    """The genres the viewer liked most; the catalogue's biggest genres for a new viewer."""
    genres = Genre.objects.filter(movies__in=taste.liked) if taste.liked else Genre.objects
    return list(genres.annotate(n=Count("movies")).order_by("-n", "name")[:GENRE_ROWS])


def _viewer_decade(taste: ViewerTaste) -> int | None:
    """The decade of most of the viewer's likes; the catalogue's biggest for a new viewer
    (counted by the database: a catalogue is tens of thousands of films)."""
    films = Movie.objects.filter(year__isnull=False)
    if taste.liked:
        films = films.filter(pk__in=taste.liked)
    biggest = (
        films.values(decade=F("year") / 10 * 10)
        .annotate(n=Count("pk"))
        .order_by("-n", "decade")
        .values_list("decade", flat=True)
        .first()
    )
    return int(biggest) if biggest is not None else None


def _genre_title(name: str, personal: bool) -> str:
    return f"{name} picks for you" if personal else f"Popular in {name}"


def _decade_title(decade: int, personal: bool) -> str:
    return f"{decade}s picks for you" if personal else f"Popular from the {decade}s"


def home_row_specs(taste: ViewerTaste) -> list[RowSpec]:
    """The rows in page order. Only rows built from the viewer's likes are called personal."""
    personal = bool(taste.liked)
    specs: list[RowSpec] = []
    if personal:
        specs.append(_spec(RowKind.TOP_PICKS, "Top picks for you"))
        liked = taste.liked[:BECAUSE_ROWS]
        titles = dict(Movie.objects.filter(pk__in=liked).values_list("pk", "title"))
        specs += [
            _spec(RowKind.BECAUSE, f"Because you liked {titles[pk]}", param_name="film", param=pk)
            for pk in liked
            if pk in titles
        ]
    else:
        specs.append(_spec(RowKind.POPULAR, "Popular"))
    if taste.my_list:
        specs.append(_spec(RowKind.MY_LIST, "My list"))
    for row in CuratedRow.objects.filter(is_active=True).only("pk", "title"):
        specs.append(_spec(RowKind.CURATED, row.title, param_name="row", param=row.pk))
    if not personal:
        specs.append(_spec(RowKind.NEW, "New in the catalogue"))
    for genre in _viewer_genres(taste):
        title = _genre_title(genre.name, personal)
        specs.append(_spec(RowKind.GENRE, title, param_name="genre", param=genre.pk))
    if (decade := _viewer_decade(taste)) is not None:
        title = _decade_title(decade, personal)
        specs.append(_spec(RowKind.DECADE, title, param_name="decade", param=decade))
    if personal:
        specs.append(_spec(RowKind.NEW, "New in the catalogue"))
        specs.append(_spec(RowKind.POPULAR, "Popular"))
    return specs


# --- The plan: every row's films and reasons, allocated together --------------------------

# Row kind -> (turn in the first pass, films it takes then); see _build_plan.
FIRST_PASS = {kind: (2, ROW_SIZE // 2) for kind in RowKind.ALL} | {
    RowKind.CURATED: (0, ROW_SIZE),
    RowKind.BECAUSE: (1, ROW_SIZE // 3),
}

PlannedRow = list[tuple[int, str]]  # (movie id, reason), in row order


def _plan_key(taste: ViewerTaste, recommender: RowRecommender) -> str:
    curated = CuratedRow.objects.aggregate(at=Max("updated_at"), n=Count("entries"))
    artifact = recommender.artifact
    signature = repr(
        (
            taste.liked,
            taste.disliked,
            taste.my_list,
            recommender.snapshot.stamp,
            recommender.dense.stamp if recommender.dense is not None else None,
            artifact.version if artifact is not None else None,
            curated["at"],
            curated["n"],
        )
    )
    return "home-plan:" + hashlib.sha1(signature.encode()).hexdigest()


def home_plan(taste: ViewerTaste, specs: list[RowSpec] | None = None) -> dict[str, PlannedRow]:
    """{row key: films with reasons} for every row of the viewer's page (cached, see above)."""
    recommender = row_recommender()
    key = _plan_key(taste, recommender)
    plan = cache.get(key)
    if plan is None:
        plan = _build_plan(taste, specs or home_row_specs(taste), recommender)
        cache.set(key, plan, PLAN_SECONDS)
    return plan


def _build_plan(
    taste: ViewerTaste, specs: list[RowSpec], recommender: RowRecommender
) -> dict[str, PlannedRow]:
    """Allocate films to rows so that none repeats. First each row takes its best films not
    taken yet: curated rows all of theirs (a curator chose them, in that order), then each
    "Because you liked X" row a third of a row (the films closest to X are its reason to be
    there), then the other rows, in page order, half a row each. Then the rows take one film a
    turn, in page order, until full. So every row opens on films most its own even when several
    rows rank the same films (a small catalogue would run out otherwise)."""
    taken = np.zeros(recommender.snapshot.size, dtype=bool)
    taken[recommender.positions([*taste.seen, *taste.my_list])] = True
    rows = [spec for spec in specs if spec.kind != RowKind.MY_LIST]
    first_pass = sorted(rows, key=lambda spec: FIRST_PASS[spec.kind][0])  # stable sort
    depth = ROW_SIZE * max(len(rows), 1)
    candidates = {spec.key: _row_picks(spec, taste, recommender, taken, depth) for spec in rows}
    movie_ids = np.asarray(
        sorted({pick.movie_id for picks in candidates.values() for pick in picks}), dtype=np.int64
    )
    position = dict(
        zip(movie_ids.tolist(), recommender.snapshot.positions(movie_ids).tolist(), strict=True)
    )
    queues = {key: deque(picks) for key, picks in candidates.items()}
    chosen: dict[str, list[Pick]] = {spec.key: [] for spec in rows}

    def take(spec: RowSpec) -> bool:
        queue = queues[spec.key]
        while queue and taken[position[queue[0].movie_id]]:
            queue.popleft()
        if not queue or len(chosen[spec.key]) >= ROW_SIZE:
            return False
        pick = queue.popleft()
        taken[position[pick.movie_id]] = True
        chosen[spec.key].append(pick)
        return True

    for spec in first_pass:
        while len(chosen[spec.key]) < FIRST_PASS[spec.kind][1] and take(spec):
            pass
    while any([take(spec) for spec in rows]):
        pass
    return _with_reasons({spec.key: (spec, chosen[spec.key]) for spec in rows}, recommender)


def _row_picks(
    spec: RowSpec, taste: ViewerTaste, recommender: RowRecommender, taken: np.ndarray, n: int
) -> list[Pick]:
    """The row's candidates, best first (up to n), none of them `taken`."""
    liked = taste.liked
    snapshot = recommender.snapshot
    if spec.kind == RowKind.TOP_PICKS:
        return recommender.recommend(liked, n=n, taken=taken)
    if spec.kind == RowKind.BECAUSE and spec.param in liked:
        return recommender.recommend([spec.param], n=n, taken=taken, blend=BECAUSE)
    if spec.kind == RowKind.GENRE:
        name = Genre.objects.filter(pk=spec.param).values_list("name", flat=True).first()
        within = snapshot.genre_masks.get((name or "").lower())
        if within is None:
            return []
        return recommender.recommend(liked, n=n, taken=taken, within=within)
    if spec.kind == RowKind.DECADE and spec.param is not None:
        within = (snapshot.years >= spec.param) & (snapshot.years < spec.param + 10)
        return recommender.recommend(liked, n=n, taken=taken, within=within)
    if spec.kind == RowKind.CURATED:
        ordered = CuratedRowFilm.objects.filter(row=spec.param).values_list("movie_id", flat=True)
        return _untaken(list(ordered), recommender, taken)
    if spec.kind == RowKind.NEW:
        newest = Movie.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
        return _untaken(list(newest[:NEW_FILMS_LOOKED_AT]), recommender, taken)
    if spec.kind == RowKind.POPULAR:
        return recommender.popular(n=n, taken=taken)
    return []


def _untaken(movie_ids: list[int], recommender: RowRecommender, taken: np.ndarray) -> list[Pick]:
    """The films in their given order, less those taken (or not in the catalogue snapshot)."""
    positions = recommender.snapshot.positions(np.asarray(movie_ids, dtype=np.int64))
    kept = [m for m, p in zip(movie_ids, positions, strict=True) if p >= 0 and not taken[p]]
    return [Pick(movie_id=m, score=0.0) for m in kept]


def _with_reasons(
    picks_by_row: dict[str, tuple[RowSpec, list[Pick]]], recommender: RowRecommender
) -> dict[str, PlannedRow]:
    """Each card's line saying why it is in its row."""
    picks = [p for _, row_picks in picks_by_row.values() for p in row_picks]
    ids = {p.movie_id for p in picks}
    anchors = {a for p in picks for a in (p.anchor_id, p.also_anchor_id) if a}
    facts = film_facts(ids | anchors)
    interactions = recommender.interaction_counts(list(ids))
    personal = reasons_for([p for p in picks if p.anchor_id], facts, {})
    votes = dict(Movie.objects.filter(pk__in=ids).values_list("pk", "vote_count"))
    notes = _curated_notes([spec.param for spec, _ in picks_by_row.values()])

    def popular(movie_id: int) -> str:
        if recommender.popularity_is_interactions:
            return popular_reason(interactions.get(movie_id, 0))
        count = votes.get(movie_id) or 0
        return f"Popular: {count:,} votes on TMDB" if count else "Popular in the catalogue"

    plan: dict[str, PlannedRow] = {}
    for key, (spec, row_picks) in picks_by_row.items():
        row: PlannedRow = []
        for pick in row_picks:
            if pick.anchor_id:
                reason = personal[pick.movie_id]
            elif spec.kind == RowKind.CURATED:
                reason = notes.get((spec.param, pick.movie_id)) or f"In {spec.title}"
            elif spec.kind == RowKind.NEW:
                reason = "New in the catalogue"
            elif spec.kind in (RowKind.GENRE, RowKind.DECADE):
                reason = spec.title  # "Popular in Drama", "Popular from the 1990s"
            else:
                reason = popular(pick.movie_id)
            row.append((pick.movie_id, reason))
        plan[key] = row
    return plan


def _curated_notes(row_ids: list[int | None]) -> dict[tuple[int, int], str]:
    entries = CuratedRowFilm.objects.filter(row__in=[r for r in row_ids if r]).exclude(note="")
    return {(row, movie): note for row, movie, note in entries.values_list("row", "movie", "note")}


# --- One row, as its lazy request asks for it ----------------------------------------------


def _cards(planned: PlannedRow, taste: ViewerTaste) -> list[Card]:
    movies = Movie.objects.in_bulk([movie_id for movie_id, _ in planned])
    my_list = set(taste.my_list)
    return [
        Card(movies[i], reason, taste.reaction_of(i), i in my_list)
        for i, reason in planned
        if i in movies
    ]


def home_row(kind: str, taste: ViewerTaste, **params: int | None) -> Row:
    """The row of this kind (and film, genre, decade or curated row) on the viewer's page; an
    empty row when the page has no such row (a stale or hand-made URL)."""
    if kind == RowKind.MY_LIST:
        planned = [(i, "On your list") for i in taste.my_list[:ROW_SIZE]]
        return Row(kind, "My list", _cards(planned, taste), "Nothing on your list yet.")
    specs = home_row_specs(taste)
    param = next((params.get(name) for name in ROW_PARAMS if params.get(name) is not None), None)
    spec = next((s for s in specs if s.kind == kind and s.param == param), None)
    if spec is None:
        return Row(kind, "Not on your page any more", [], "Reload the page for your rows.")
    planned = home_plan(taste, specs).get(spec.key, [])
    empty = _LIKE_MORE if kind == RowKind.TOP_PICKS else "Nothing more to show here."
    return Row(kind, spec.title, _cards(planned, taste), empty)


_LIKE_MORE = "Like a few films and your picks appear here."
