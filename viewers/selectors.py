"""Reads for viewers: what a viewer liked, disliked and saved."""

from dataclasses import dataclass, field

from viewers.identity import Viewer
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
