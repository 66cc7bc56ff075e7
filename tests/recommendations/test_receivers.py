"""Catalogue changes mark films pending and queue ONE sync after commit, on a real Redis."""

import ast
import json
import logging
import uuid

import pytest
import redis
from django.db import transaction

from bench.processes import free_port
from movies.models import Movie
from movies.signals import send_movies_changed_on_commit
from tests.conftest import REDIS_TEST_DB, celery_app_using
from tests.factories import CreditFactory, GenreFactory, KeywordFactory, MovieFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue():
    """A Redis queue of this test's own that this process publishes to; yields a reader of
    the (task name, kwargs) queued so far."""
    name = f"test-receivers-{uuid.uuid4().hex[:8]}"
    client = redis.Redis(db=REDIS_TEST_DB)
    with celery_app_using(f"redis://127.0.0.1:6379/{REDIS_TEST_DB}", name):

        def queued() -> list[tuple[str, dict]]:
            messages = [json.loads(raw) for raw in client.lrange(name, 0, -1)]
            return [
                (m["headers"]["task"], ast.literal_eval(m["headers"]["kwargsrepr"]))
                for m in reversed(messages)
            ]

        yield queued
    client.delete(name)


def indexed(*movies: Movie) -> None:
    Movie.objects.filter(pk__in=[m.pk for m in movies]).update(index_state="indexed")


def states(*movies: Movie) -> list[str]:
    return [Movie.objects.get(pk=m.pk).index_state for m in movies]


SYNC = "recommendations.tasks.index_sync_task"


def test_many_changes_in_one_transaction_queue_one_sync_after_commit(queue):
    film, other = MovieFactory(), MovieFactory()
    queue_before = len(queue())
    indexed(film, other)

    with transaction.atomic():
        film.synopsis = "New"
        film.save()
        film.genres.add(GenreFactory(name="Noir"))
        film.keywords.add(KeywordFactory(name="rain"))
        CreditFactory(movie=other, role="cast")
        assert len(queue()) == queue_before  # nothing before commit

    assert states(film, other) == ["pending", "pending"]
    assert queue()[queue_before:] == [(SYNC, {"movie_ids": sorted([film.pk, other.pk])})]


def test_renaming_a_genre_or_a_person_marks_every_film_that_has_them(queue):
    a, b, untouched = MovieFactory(), MovieFactory(), MovieFactory()
    genre = GenreFactory(name="Western")
    genre.movies.add(a, b)  # the reverse side of the relation
    credit = CreditFactory(movie=b, role="director")
    indexed(a, b, untouched)

    genre.name = "Westerns"
    genre.save()
    assert states(a, b, untouched) == ["pending", "pending", "indexed"]

    indexed(a, b)
    credit.person.name = "Renamed Director"
    credit.person.save()
    assert states(a, b, untouched) == ["indexed", "pending", "indexed"]


def test_a_deleted_film_and_a_bulk_import_are_queued_too(queue):
    gone, imported = MovieFactory(), MovieFactory()
    start = len(queue())

    gone_pk = gone.pk
    gone.delete()
    send_movies_changed_on_commit(movie_ids=[imported.pk], deleted_ids=[])

    assert (SYNC, {"movie_ids": [gone_pk]}) in queue()[start:]
    assert (SYNC, {"movie_ids": [imported.pk]}) in queue()[start:]


def test_a_save_succeeds_when_the_broker_is_down_and_the_film_stays_pending(caplog):
    film = MovieFactory()
    indexed(film)
    with (
        celery_app_using(f"redis://127.0.0.1:{free_port()}/0", "nowhere"),
        caplog.at_level(logging.WARNING),
    ):
        film.synopsis = "Saved while the broker was down."
        film.save()

    assert Movie.objects.get(pk=film.pk).synopsis == "Saved while the broker was down."
    assert states(film) == ["pending"]
    assert "the sweep will" in caplog.text


def test_admin_actions_queue_a_visible_job(queue, movie_admin, admin_client, admin_user):
    from django.urls import reverse

    from jobs.models import Job

    films = [MovieFactory(), MovieFactory()]
    start = len(queue())
    url = reverse("admin:movies_movie_changelist")
    assert "Re-embed selected films" in admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        {"action": "reembed_selected", "_selected_action": [f.pk for f in films]},
        follow=True,
    )

    job = Job.objects.get(kind=Job.Kind.REEMBED)
    assert job.created_by == admin_user and job.status == Job.Status.QUEUED
    assert f"follow job #{job.pk}" in response.content.decode()
    assert queue()[start:] == [
        (
            "recommendations.tasks.index_reembed_task",
            {"movie_ids": sorted(f.pk for f in films), "job_id": job.pk},
        )
    ]

    assert "rebuild_index" not in admin_client.get(url).content.decode()  # no selection needed
    rebuild_url = reverse("admin:recommendations_heavy_action", args=["rebuild-index"])
    assert rebuild_url in admin_client.get(url).content.decode()  # the film list links it
    assert not Job.objects.filter(kind=Job.Kind.REBUILD).exists()  # GET: only the confirmation
    assert "Rebuild the index" in admin_client.get(rebuild_url).content.decode()
    admin_client.post(rebuild_url)
    rebuild = Job.objects.get(kind=Job.Kind.REBUILD)
    assert queue()[-1] == ("recommendations.tasks.index_rebuild_task", {"job_id": rebuild.pk})
