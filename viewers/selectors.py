"""Reads for viewers: what a viewer liked, disliked and saved."""

from dataclasses import dataclass, field

from django.http import HttpRequest

from movies.models import Movie
from viewers.identity import Viewer, viewer_from_request
from viewers.models import MyListEntry, Reaction


@dataclass(frozen=True)
class ViewerTaste:
    """A viewer's signals, most recent first."""

    liked: list[int] = field(default_factory=list)
    disliked: list[int] = field(default_factory=list)
    my_list: list[int] = field(default_factory=list)

    def reaction_of(self, movie_id: int) -> int | None:
        if movie_id in self.liked:
            return Reaction.Value.LIKE
        if movie_id in self.disliked:
            return Reaction.Value.DISLIKE
        return None

    @property
    def seen(self) -> set[int]:
        return {*self.liked, *self.disliked}


def viewer_taste(viewer: Viewer) -> ViewerTaste:
    if not viewer.is_known:
        return ViewerTaste()
    liked: list[int] = []
    disliked: list[int] = []
    for movie_id, value in (
        Reaction.objects.filter(viewer.owns())
        .order_by("-created_at", "-id")
        .values_list("movie_id", "value")
    ):
        (liked if value == Reaction.Value.LIKE else disliked).append(movie_id)
    my_list = list(
        MyListEntry.objects.filter(viewer.owns())
        .order_by("-created_at", "-id")
        .values_list("movie_id", flat=True)
    )
    return ViewerTaste(liked=liked, disliked=disliked, my_list=my_list)


def my_list_movies(taste: ViewerTaste) -> list[Movie]:
    """The films on a viewer's list, most recently added first. One query."""
    by_id = Movie.objects.in_bulk(taste.my_list)
    return [by_id[movie_id] for movie_id in taste.my_list if movie_id in by_id]


_REQUEST_TASTE = "_viewer_taste"


def request_viewer_taste(request: HttpRequest) -> ViewerTaste:
    """The taste of a request's viewer, read once per request and kept on it: a page of
    cards asks for each card's reaction and list state, and that must not be a query each."""
    taste = getattr(request, _REQUEST_TASTE, None)
    if taste is None:
        taste = viewer_taste(viewer_from_request(request))
        setattr(request, _REQUEST_TASTE, taste)
    return taste
