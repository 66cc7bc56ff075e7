"""Signals the catalogue sends so that downstream apps (the index) can follow it without the
catalogue knowing about them.

movies_changed is sent after commit with ``movie_ids`` (created or updated films) and
``deleted_ids``. Per-row saves and deletes are covered by Django's post_save/post_delete; bulk
writes (importers, admin bulk actions) send this signal instead.
"""

from django.db import transaction
from django.dispatch import Signal

movies_changed = Signal()


def send_movies_changed_on_commit(
    *, movie_ids: list[int] | None = None, deleted_ids: list[int] | None = None
) -> None:
    changed, deleted = list(movie_ids or []), list(deleted_ids or [])
    if not changed and not deleted:
        return
    transaction.on_commit(
        lambda: movies_changed.send(sender=None, movie_ids=changed, deleted_ids=deleted)
    )
