"""Reads for viewers: what a viewer liked, disliked and saved."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import ExpressionWrapper, F, Q, QuerySet
from django.db.models.fields import DateTimeField
from django.http import HttpRequest

from movies.models import Movie
from viewers.identity import Viewer, viewer_from_request
from viewers.models import AnonymousViewer, MyListEntry, Reaction


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


def trusted_anonymous_viewers() -> QuerySet[AnonymousViewer]:
    """Anonymous viewers whose feedback may count for everyone: they came back at least
    RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS after their first feedback and gave at least
    RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK. A script that opens sessions and likes at once has
    neither."""
    age = timedelta(hours=settings.RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS)
    returned_after = ExpressionWrapper(F("created_at") + age, output_field=DateTimeField())
    return AnonymousViewer.objects.filter(
        feedback_count__gte=settings.RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK,
        last_seen_at__gte=returned_after,
    )


def trusted_reactions() -> QuerySet[Reaction]:
    """The reactions that may shape everyone's recommendations (training, popularity): those
    of accounts and of trusted anonymous viewers. The others count for their own viewer only."""
    trusted_ids = trusted_anonymous_viewers().values("anonymous_id")
    return Reaction.objects.filter(
        Q(user__isnull=False) | Q(user__isnull=True, anonymous_id__in=trusted_ids)
    )
