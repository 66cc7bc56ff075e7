"""Writes for viewers: reactions, My list, the merge of an anonymous session at log-in, and
the expiry of idle anonymous viewers."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from viewers.identity import Viewer
from viewers.models import AnonymousViewer, MyListEntry, Reaction


@transaction.atomic
def reaction_toggle(*, viewer: Viewer, movie_id: int, value: int) -> int | None:
    """Like or dislike a film; the same button again clears it. Returns the new value."""
    current = Reaction.objects.filter(viewer.owns(), movie_id=movie_id).first()
    _anonymous_viewer_seen(viewer)
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
    _anonymous_viewer_seen(viewer)
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
    AnonymousViewer.objects.filter(anonymous_id=anonymous_id).delete()  # an account now
    return moved


def _anonymous_viewer_seen(viewer: Viewer) -> None:
    """Count one feedback action of an anonymous viewer (recorded on its first)."""
    if viewer.user_id or not viewer.anonymous_id:
        return
    now = timezone.now()
    seen = AnonymousViewer.objects.filter(anonymous_id=viewer.anonymous_id).update(
        last_seen_at=now, feedback_count=F("feedback_count") + 1
    )
    if not seen:
        AnonymousViewer.objects.create(
            anonymous_id=viewer.anonymous_id, created_at=now, last_seen_at=now, feedback_count=1
        )


@transaction.atomic
def anonymous_viewers_expire(*, idle_days: float | None = None) -> dict[str, int]:
    """Delete anonymous viewers with no feedback for idle_days (RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS),
    their reactions and list, and expired sessions, so that a script creating viewers cannot
    grow these tables without bound. Returns the rows deleted by table."""
    days = settings.RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS if idle_days is None else idle_days
    idle = AnonymousViewer.objects.filter(last_seen_at__lt=timezone.now() - timedelta(days=days))
    ids = idle.values("anonymous_id")
    deleted = {
        "reactions": Reaction.objects.filter(user__isnull=True, anonymous_id__in=ids).delete()[0],
        "my_list": MyListEntry.objects.filter(user__isnull=True, anonymous_id__in=ids).delete()[0],
    }
    deleted["viewers"] = idle.delete()[0]
    deleted["sessions"] = Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
    return deleted
