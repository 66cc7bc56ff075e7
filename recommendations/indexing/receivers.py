"""Follow the catalogue: any change to a film marks it pending and, after commit, queues one
sync for everything touched in the transaction. If the broker cannot be reached the save still
succeeds; the film stays pending and the periodic sweep picks it up."""

import logging
import threading

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone

from jobs.dispatch import BrokerUnreachable, task_send
from movies.models import Credit, Genre, Keyword, Movie, Person
from movies.signals import movies_changed

logger = logging.getLogger(__name__)
_touched = threading.local()


def _ids() -> set[int]:
    if not hasattr(_touched, "ids"):
        _touched.ids = set()
    return _touched.ids


def mark_pending(movie_ids, *, already_pending: bool = False) -> None:
    ids = sorted({int(pk) for pk in movie_ids if pk is not None})
    if not ids:
        return
    for start in range(0, len(ids), 2000) if not already_pending else ():
        Movie.objects.filter(pk__in=ids[start : start + 2000]).update(
            index_state=Movie.IndexState.PENDING, updated_at=timezone.now()
        )
    _ids().update(ids)
    # Every change registers a flush; the first to run after commit takes all ids touched so
    # far (a rolled-back transaction's ids ride along harmlessly: a sync is idempotent).
    transaction.on_commit(_flush)


def _flush() -> None:
    ids = sorted(_ids())
    _ids().clear()
    if ids:
        enqueue_sync(ids)


def enqueue_sync(movie_ids: list[int]) -> bool:
    try:
        task_send(
            "recommendations.tasks.index_sync_task",
            kwargs={"movie_ids": movie_ids},
            retries=settings.RECSYS_INDEX_ENQUEUE_RETRIES,
        )
    except BrokerUnreachable as exc:  # the sweep will find these films pending
        logger.warning(
            "could not queue an index sync for %d films (%s); the sweep will", len(movie_ids), exc
        )
        return False
    return True


def _movie_saved(sender, instance: Movie, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw:  # a new film is created pending
        mark_pending([instance.pk], already_pending=created)


def _movie_deleted(sender, instance: Movie, **kwargs) -> None:
    _ids().add(instance.pk)
    transaction.on_commit(_flush)


def _tags_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse:
        _touched.clearing = list(instance.movies.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        mark_pending((pk_set or []) if reverse else [instance.pk])
    elif action == "post_clear":
        mark_pending(getattr(_touched, "clearing", []) if reverse else [instance.pk])


def _credit_changed(sender, instance: Credit, raw: bool = False, **kwargs) -> None:
    if not raw:
        mark_pending([instance.movie_id])


def _named_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    # A renamed genre, keyword or person changes the text of every film that has it.
    if not created and not raw:
        mark_pending(_movies_of(instance))


def _named_deleting(sender, instance, **kwargs) -> None:
    mark_pending(_movies_of(instance))


def _movies_of(instance) -> list[int]:
    if isinstance(instance, Person):
        return list(Credit.objects.filter(person=instance).values_list("movie_id", flat=True))
    return list(instance.movies.values_list("pk", flat=True))


def _bulk_changed(sender, movie_ids=(), deleted_ids=(), **kwargs) -> None:
    mark_pending(movie_ids)
    _ids().update(deleted_ids)
    transaction.on_commit(_flush)


def connect() -> None:
    uid = "recommendations.indexing"
    post_save.connect(_movie_saved, sender=Movie, dispatch_uid=f"{uid}.movie_saved")
    post_delete.connect(_movie_deleted, sender=Movie, dispatch_uid=f"{uid}.movie_deleted")
    m2m_changed.connect(_tags_changed, sender=Movie.genres.through, dispatch_uid=f"{uid}.genres")
    m2m_changed.connect(
        _tags_changed, sender=Movie.keywords.through, dispatch_uid=f"{uid}.keywords"
    )
    post_save.connect(_credit_changed, sender=Credit, dispatch_uid=f"{uid}.credit_saved")
    post_delete.connect(_credit_changed, sender=Credit, dispatch_uid=f"{uid}.credit_deleted")
    for model in (Genre, Keyword, Person):
        name = model.__name__.lower()
        post_save.connect(_named_saved, sender=model, dispatch_uid=f"{uid}.{name}_saved")
        pre_delete.connect(_named_deleting, sender=model, dispatch_uid=f"{uid}.{name}_deleting")
    movies_changed.connect(_bulk_changed, dispatch_uid=f"{uid}.bulk")
