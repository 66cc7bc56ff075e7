"""Writes for viewers: reactions, My list, and the merge of an anonymous session at log-in."""

from django.db import transaction

from viewers.identity import Viewer
from viewers.models import MyListEntry, Reaction


@transaction.atomic
def reaction_toggle(*, viewer: Viewer, movie_id: int, value: int) -> int | None:
    """Like or dislike a film; the same button again clears it. Returns the new value."""
    current = Reaction.objects.filter(viewer.owns(), movie_id=movie_id).first()
    if current and current.value == value:
        current.delete()
        return None
    if current:
        current.value = value
        current.save(update_fields=["value", "created_at"])
    else:
        Reaction.objects.create(movie_id=movie_id, value=value, **viewer.owner_fields())
    return value


@transaction.atomic
def my_list_toggle(*, viewer: Viewer, movie_id: int) -> bool:
    """Add a film to My list, or take it off. Returns whether it is on the list now."""
    deleted, _ = MyListEntry.objects.filter(viewer.owns(), movie_id=movie_id).delete()
    if deleted:
        return False
    MyListEntry.objects.create(movie_id=movie_id, **viewer.owner_fields())
    return True


@transaction.atomic
def viewer_merge_anonymous(*, anonymous_id: str, user_id: int) -> int:
    """Move an anonymous browser's reactions and list into an account. What the browser did
    last wins over the account's older reaction to the same film. Returns rows moved."""
    if not anonymous_id:
        return 0
    moved = 0
    for model in (Reaction, MyListEntry):
        rows = model.objects.filter(user__isnull=True, anonymous_id=anonymous_id)
        movie_ids = list(rows.values_list("movie_id", flat=True))
        if model is Reaction:
            model.objects.filter(user_id=user_id, movie_id__in=movie_ids).delete()
        else:
            rows.filter(
                movie_id__in=model.objects.filter(user_id=user_id).values("movie_id")
            ).delete()
        moved += rows.update(user_id=user_id, anonymous_id="")
    return moved
