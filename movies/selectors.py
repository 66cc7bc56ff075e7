"""Reads of the catalogue."""

import re
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from movies.models import Credit, Movie

_IMDB_ID = re.compile(r"(?:imdb\.com/title/)?(tt\d{7,10})\b", re.IGNORECASE)
# ASCII digits only ("²".isdigit() is true, int() refuses it), and few enough to fit an id column.
_TMDB_URL = re.compile(r"themoviedb\.org/movie/([0-9]{1,18})(?![0-9])", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9]{1,9}")
_NETFLIX_ID = re.compile(r"^s\d+$", re.IGNORECASE)


def movie_external_id_q(term: str) -> tuple[Q, bool] | None:
    """What a pasted id or link means: (a Q for the film(s), whether it is ONLY an id).

    'tt0113277' or an IMDb link -> that IMDb id; a TMDB link -> that TMDB id; 's42' -> that
    Netflix id (all only ids); '949' -> TMDB or MovieLens id 949, but '1917' is also a title,
    so a number is matched as a title as well."""
    term = term.strip()
    if match := _IMDB_ID.fullmatch(term) or ("imdb." in term and _IMDB_ID.search(term)):
        return Q(imdb_id=match.group(1).lower()), True
    if match := _TMDB_URL.search(term):
        return Q(tmdb_id=int(match.group(1))), True
    if _NETFLIX_ID.fullmatch(term):
        return Q(netflix_id=term.lower()), True
    if _NUMBER.fullmatch(term):
        return Q(tmdb_id=int(term)) | Q(movielens_id=int(term)), False
    return None


def movie_decades() -> list[int]:
    """The decades the catalogue has films in, oldest first: [1900, 1910, ...]."""
    return list(
        Movie.objects.filter(year__isnull=False)
        .annotate(decade=F("year") / 10 * 10)
        .order_by("decade")
        .values_list("decade", flat=True)
        .distinct()
    )


def movies_in_decade(queryset: QuerySet[Movie], decade: int) -> QuerySet[Movie]:
    return queryset.filter(year__gte=decade, year__lt=decade + 10)


@dataclass(frozen=True)
class PersonFilm:
    """One film of a person's, with what they did in it ("Director", "as Vincent Hanna")."""

    movie: Movie
    roles: tuple[str, ...]


def person_filmography(person_id: int) -> list[PersonFilm]:
    """A person's films, newest first (films without a year last), each once with all their
    roles in it: director and writer before cast, in billing order. One query."""
    credits = (
        Credit.objects.filter(person_id=person_id)
        .select_related("movie")
        .order_by(F("movie__year").desc(nulls_last=True), "movie__title", "movie_id")
    )
    roles: dict[int, list[Credit]] = {}
    movies: dict[int, Movie] = {}
    for credit in credits:
        movies.setdefault(credit.movie_id, credit.movie)
        roles.setdefault(credit.movie_id, []).append(credit)
    role_order = {Credit.Role.DIRECTOR: 0, Credit.Role.WRITER: 1, Credit.Role.CAST: 2}
    return [
        PersonFilm(
            movie=movie,
            roles=tuple(
                _role_label(c)
                for c in sorted(roles[movie_id], key=lambda c: (role_order[c.role], c.order))
            ),
        )
        for movie_id, movie in movies.items()
    ]


def _role_label(credit: Credit) -> str:
    if credit.role == Credit.Role.CAST:
        return f"as {credit.character}" if credit.character else "Cast"
    return credit.get_role_display()


def keyword_films(keyword_id: int, *, limit: int) -> tuple[list[Movie], int]:
    """(the `limit` best-known films with this keyword, how many there are): most voted and
    most popular first, then newest."""
    films = Movie.objects.filter(keywords=keyword_id)
    ordered = films.order_by(
        F("vote_count").desc(nulls_last=True),
        F("popularity").desc(nulls_last=True),
        F("year").desc(nulls_last=True),
        "title",
    )
    return list(ordered[:limit]), films.count()
