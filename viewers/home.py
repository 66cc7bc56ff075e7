"""The home page rows: which rows a viewer gets, and what each row holds with its reasons.

Rows are loaded lazily, one request each: `home_row_specs` is cheap (the viewer's likes and a
few titles), `home_row` does the scoring for one row.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, F
from django.urls import reverse

from movies.models import Genre, Movie
from recommendations.recommenders.algorithms import HYBRID, RELATED, HybridParams
from recommendations.recommenders.artifacts import active_recommender_artifact
from recommendations.recommenders.live import Pick, recommender_for
from recommendations.recommenders.reasons import film_facts, popular_reason, reasons_for
from viewers.selectors import ViewerTaste

ROW_SIZE = 12
BECAUSE_ROWS = 2
GENRE_ROWS = 2


class RowKind:
    TOP_PICKS = "top-picks"
    BECAUSE = "because"
    GENRE = "genre"
    MY_LIST = "my-list"
    POPULAR = "popular"
    ALL = (TOP_PICKS, BECAUSE, GENRE, MY_LIST, POPULAR)


@dataclass(frozen=True)
class RowSpec:
    kind: str
    title: str
    url: str


@dataclass(frozen=True)
class Card:
    movie: Movie
    reason: str
    reaction: int | None
    in_list: bool

    @property
    def urls(self) -> "FilmActionUrls":
        return film_action_urls(self.movie.pk)


@dataclass(frozen=True)
class FilmActionUrls:
    reaction: str
    my_list: str


@lru_cache(maxsize=4)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def film_action_urls(movie_id: int) -> FilmActionUrls:
    """The like/dislike and My list URLs of a film (reversed once, not per button: a row has
    dozens of buttons)."""
    return FilmActionUrls(
        reaction=_url_pattern("viewers:reaction").format(movie_id),
        my_list=_url_pattern("viewers:my_list").format(movie_id),
    )


@dataclass(frozen=True)
class Row:
    kind: str
    title: str
    cards: list[Card]
    empty_message: str = ""


def _row_url(kind: str, **params) -> str:
    url = reverse("viewers:home_row", args=[kind])
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{url}?{query}" if query else url


def _viewer_genres(taste: ViewerTaste) -> list[Genre]:
    """The genres the viewer liked most; the catalogue's biggest genres for a new viewer."""
    genres = Genre.objects.filter(movies__in=taste.liked) if taste.liked else Genre.objects
    return list(genres.annotate(n=Count("movies")).order_by("-n", "name")[:GENRE_ROWS])


def home_row_specs(taste: ViewerTaste) -> list[RowSpec]:
    specs: list[RowSpec] = []
    if taste.liked:
        specs.append(RowSpec(RowKind.TOP_PICKS, "Top picks for you", _row_url(RowKind.TOP_PICKS)))
        titles = dict(
            Movie.objects.filter(pk__in=taste.liked[:BECAUSE_ROWS]).values_list("pk", "title")
        )
        for movie_id in taste.liked[:BECAUSE_ROWS]:
            specs.append(
                RowSpec(
                    RowKind.BECAUSE,
                    f"Because you liked {titles[movie_id]}",
                    _row_url(RowKind.BECAUSE, film=movie_id),
                )
            )
    if taste.my_list:
        specs.append(RowSpec(RowKind.MY_LIST, "My list", _row_url(RowKind.MY_LIST)))
    for genre in _viewer_genres(taste):
        title = f"{genre.name} picks for you" if taste.liked else f"Popular in {genre.name}"
        specs.append(RowSpec(RowKind.GENRE, title, _row_url(RowKind.GENRE, genre=genre.pk)))
    specs.append(RowSpec(RowKind.POPULAR, "Popular", _row_url(RowKind.POPULAR)))
    return specs


def _catalogue_popular(n: int, *, exclude: set[int], within: list[int] | None = None) -> list[int]:
    """Without a trained recommender: the catalogue's own popularity and vote counts."""
    films = Movie.objects.exclude(pk__in=exclude)
    if within is not None:
        films = films.filter(pk__in=within)
    films = films.order_by(
        F("popularity").desc(nulls_last=True), F("vote_count").desc(nulls_last=True), "pk"
    )
    return list(films.values_list("pk", flat=True)[:n])


def _picks(
    taste: ViewerTaste,
    *,
    liked: list[int],
    within: list[int] | None = None,
    params: HybridParams = HYBRID,
) -> tuple:
    """(picks, popularity counts) from the trained recommender, or catalogue popularity."""
    artifact = active_recommender_artifact()
    exclude = taste.seen
    if artifact is None:
        ids = _catalogue_popular(ROW_SIZE, exclude=exclude, within=within)
        return [Pick(movie_id=i, score=0.0) for i in ids], {}
    recommender = recommender_for(artifact)
    picks = recommender.recommend(
        liked_ids=liked, exclude_ids=exclude, n=ROW_SIZE, within_ids=within, params=params
    )
    return picks, recommender.popularity_of([p.movie_id for p in picks])


_genre_members: dict[tuple[str, int], list[int]] = {}


def _genre_member_ids(genre: int) -> list[int]:
    """A genre's films, cached in the process per trained version (whose films it scores):
    a big genre is thousands of ids, not worth a query per row."""
    artifact = active_recommender_artifact()
    if artifact is None:
        return list(Movie.objects.filter(genres=genre).values_list("pk", flat=True))
    key = (artifact.version, genre)
    if key not in _genre_members:
        if len(_genre_members) > 200:
            _genre_members.clear()
        _genre_members[key] = list(Movie.objects.filter(genres=genre).values_list("pk", flat=True))
    return _genre_members[key]


def _cards(picks: list[Pick], popularity: dict[int, int], taste: ViewerTaste) -> list[Card]:
    ids = [p.movie_id for p in picks]
    anchors = {p.anchor_id for p in picks if p.anchor_id}
    facts = film_facts(set(ids) | anchors)
    reasons = reasons_for(picks, facts, popularity)
    movies = Movie.objects.in_bulk(ids)
    my_list = set(taste.my_list)
    return [
        Card(movies[i], reasons[i], taste.reaction_of(i), i in my_list) for i in ids if i in movies
    ]


def home_row(kind: str, taste: ViewerTaste, *, film: int | None, genre: int | None) -> Row:
    if kind == RowKind.TOP_PICKS:
        picks, popularity = _picks(taste, liked=taste.liked)
        return Row(kind, "Top picks for you", _cards(picks, popularity, taste), _LIKE_MORE)
    if kind == RowKind.BECAUSE and film is not None:
        title = Movie.objects.filter(pk=film).values_list("title", flat=True).first() or "it"
        picks, popularity = _picks(taste, liked=[film], params=RELATED)
        return Row(kind, f"Because you liked {title}", _cards(picks, popularity, taste))
    if kind == RowKind.GENRE and genre is not None:
        name = Genre.objects.filter(pk=genre).values_list("name", flat=True).first() or "Genre"
        within = _genre_member_ids(genre)
        picks, popularity = _picks(taste, liked=taste.liked, within=within)
        title = f"{name} picks for you" if taste.liked else f"Popular in {name}"
        return Row(kind, title, _cards(picks, popularity, taste))
    if kind == RowKind.MY_LIST:
        picks = [Pick(movie_id=i, score=0.0) for i in taste.my_list[:ROW_SIZE]]
        cards = [Card(c.movie, "On your list", c.reaction, True) for c in _cards(picks, {}, taste)]
        return Row(kind, "My list", cards, "Nothing on your list yet.")
    picks, popularity = _picks(taste, liked=[])
    cards = _cards(picks, popularity, taste)
    if not popularity:
        cards = [Card(c.movie, popular_reason(0), c.reaction, c.in_list) for c in cards]
    return Row(RowKind.POPULAR, "Popular", cards)


_LIKE_MORE = "Like a few films and your picks appear here."
