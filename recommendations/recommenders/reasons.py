"""One specific line per pick saying why: the liked film it comes from and what they share
(director, cast, keywords, genres) or that the same viewers liked both."""

from collections import defaultdict
from dataclasses import dataclass, field

from movies.models import Credit, Movie
from recommendations.recommenders.live import Pick

MAX_CAST_COMPARED = 6


@dataclass
class FilmFacts:
    title: str
    genres: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)


def film_facts(movie_ids: set[int]) -> dict[int, FilmFacts]:
    """Titles, genres, keywords, directors and leading cast of the films: four queries."""
    facts = {
        pk: FilmFacts(title=title)
        for pk, title in Movie.objects.filter(pk__in=movie_ids).values_list("pk", "title")
    }
    # Ordered by the genre's and the keyword's id (catalogue order): the same on every
    # database, where an unordered query is not (SQLite happened to use this order).
    genres = Movie.genres.through.objects.filter(movie_id__in=movie_ids).order_by("genre_id")
    for pk, name in genres.values_list("movie_id", "genre__name"):
        facts[pk].genres.append(name)
    keywords = Movie.keywords.through.objects.filter(movie_id__in=movie_ids).order_by("keyword_id")
    for pk, name in keywords.values_list("movie_id", "keyword__name"):
        facts[pk].keywords.append(name)
    credits = (
        Credit.objects.filter(movie_id__in=movie_ids, role__in=["director", "cast"])
        .order_by("movie_id", "order")
        .values_list("movie_id", "role", "person__name", "order")
    )
    for pk, role, name, order in credits:
        if role == "director":
            facts[pk].directors.append(name)
        elif order < MAX_CAST_COMPARED:
            facts[pk].cast.append(name)
    return facts


def _shared(a: list[str], b: list[str]) -> list[str]:
    other = {x.lower() for x in b}
    return [x for x in a if x.lower() in other]


def _genre_phrase(genres: list[str]) -> str:
    return " ".join(g.lower() for g in genres[:2])


def because_reason(
    pick: FilmFacts,
    anchor: FilmFacts,
    *,
    evidence: str,
    co_liked: bool = False,
    also: FilmFacts | None = None,
) -> str:
    """'Because you liked Heat: also a Michael Mann crime film' and the like; 'Similar to Heat
    and Alien' when two liked films bring it (`also`) and it shares no people with the first."""
    liked = anchor.title
    genres = _shared(pick.genres, anchor.genres)
    directors = _shared(pick.directors, anchor.directors)
    if directors:
        kind = f"{_genre_phrase(genres)} film" if genres else "film"
        return f"Because you liked {liked}: also a {directors[0]} {kind}"
    cast = _shared(pick.cast, anchor.cast)
    if cast:
        return f"Because you liked {liked}: also stars {' and '.join(cast[:2])}"
    both = also is not None and also.title != liked
    if both and _shared(pick.genres, anchor.genres) and _shared(pick.genres, also.genres):
        return f"Similar to {liked} and {also.title}"  # close to both, and a genre of each
    keywords = _shared(pick.keywords, anchor.keywords)
    if len(keywords) >= 2 or (keywords and evidence == "content"):
        return f"Shares keywords {', '.join(keywords[:3])} with {liked}"
    if evidence == "collaborative" or co_liked:
        also = f" (also {', '.join(g.lower() for g in genres[:3])})" if genres else ""
        return f"Viewers who liked {liked} liked this too{also}"
    if genres:
        return f"Because you liked {liked}: also {', '.join(g.lower() for g in genres[:3])}"
    return f"Close in story and tone to {liked}"


def popular_reason(count: int) -> str:
    return f"Popular: liked or rated by {count:,} viewers" if count else "Popular in the catalogue"


def reasons_for(picks: list[Pick], facts: dict[int, FilmFacts], popularity: dict[int, int]):
    """{movie_id: reason} for the picks; `facts` must hold the picks and their anchors."""
    reasons: dict[int, str] = defaultdict(str)
    for pick in picks:
        if pick.anchor_id and pick.anchor_id in facts and pick.movie_id in facts:
            reasons[pick.movie_id] = because_reason(
                facts[pick.movie_id],
                facts[pick.anchor_id],
                evidence=pick.evidence,
                co_liked=pick.co_liked,
                also=facts.get(pick.also_anchor_id) if pick.also_anchor_id else None,
            )
        else:
            reasons[pick.movie_id] = popular_reason(popularity.get(pick.movie_id, 0))
    return reasons
