"""Anonymous feedback shapes its own viewer at once and everyone's only once trusted; it is
throttled; idle anonymous viewers expire with their feedback (docs/security.md, finding 4)."""

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from movies.models import Movie
from recommendations.lab.recommender_training import interactions_matrix
from recommendations.recommenders import algorithms
from tests.factories import MovieFactory
from viewers.identity import Viewer
from viewers.models import AnonymousViewer, Reaction
from viewers.selectors import viewer_taste
from viewers.services import my_list_toggle, reaction_toggle, viewer_merge_anonymous

pytestmark = pytest.mark.django_db
LIKE = Reaction.Value.LIKE


def popularity() -> dict[int, float]:
    item_ids = np.fromiter(Movie.objects.order_by("pk").values_list("pk", flat=True), np.int64)
    counts = algorithms.popularity_fit(interactions_matrix(item_ids))
    return dict(zip(item_ids.tolist(), counts.tolist(), strict=True))


def anonymous_likes(n_viewers: int, movie: Movie) -> list[Viewer]:
    viewers = [Viewer(anonymous_id=f"{i:032x}") for i in range(n_viewers)]
    for viewer in viewers:
        reaction_toggle(viewer=viewer, movie_id=movie.pk, value=LIKE)
    return viewers


def test_a_script_of_fresh_anonymous_viewers_moves_neither_popularity_nor_training(
    django_user_model,
):
    pushed, liked_by_an_account = MovieFactory(), MovieFactory()
    viewers = anonymous_likes(50, pushed)
    user = django_user_model.objects.create_user("ann", password="pw-long-enough-1")
    reaction_toggle(viewer=Viewer(user_id=user.pk), movie_id=liked_by_an_account.pk, value=LIKE)

    counts = popularity()

    assert counts[pushed.pk] == 0  # 50 fresh anonymous likes count for nobody else
    assert counts[liked_by_an_account.pk] == 1
    assert viewer_taste(viewers[0]).liked == [pushed.pk]  # but shape their own viewer at once


def test_an_anonymous_viewer_counts_for_everyone_once_it_came_back_with_enough_feedback(
    settings,
):
    settings.RECSYS_ANONYMOUS_TRUST_MIN_AGE_HOURS = 72
    settings.RECSYS_ANONYMOUS_TRUST_MIN_FEEDBACK = 3
    films = MovieFactory.create_batch(3)
    returning, eager = Viewer(anonymous_id="r" * 32), Viewer(anonymous_id="e" * 32)
    for viewer in (returning, eager):
        for film in films[:2]:
            reaction_toggle(viewer=viewer, movie_id=film.pk, value=LIKE)
    four_days_ago = timezone.now() - timedelta(days=4)
    AnonymousViewer.objects.filter(anonymous_id=returning.anonymous_id).update(
        created_at=four_days_ago
    )
    assert popularity()[films[0].pk] == 0  # 2 actions: not enough yet, however old

    my_list_toggle(viewer=returning, movie_id=films[2].pk)  # back after 4 days: 3 actions
    for _ in range(3):  # plenty of feedback, but all within its first minutes
        my_list_toggle(viewer=eager, movie_id=films[2].pk)

    counts = popularity()
    assert counts[films[0].pk] == counts[films[1].pk] == 1  # the returning viewer's likes only


def test_fresh_anonymous_viewers_are_throttled_per_address(settings, one_fixed_minute):
    settings.RECSYS_NEW_ANONYMOUS_VIEWERS_PER_MINUTE_PER_ADDRESS = 3
    movie = MovieFactory()
    url = reverse("viewers:reaction", args=[movie.pk])

    statuses = [Client().post(url, {"value": "like"}).status_code for _ in range(5)]

    assert statuses == [302, 302, 302, 429, 429]
    assert Reaction.objects.count() == AnonymousViewer.objects.count() == 3
    refused = Client().post(url, {"value": "like"})
    assert "at most 3 a minute" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 61  # seconds to the end of the minute


def test_one_anonymous_viewer_is_throttled_and_an_account_is_not(
    settings, django_user_model, one_fixed_minute
):
    settings.RECSYS_FEEDBACK_PER_MINUTE_PER_VIEWER = 4
    movie = MovieFactory()
    url = reverse("viewers:my_list", args=[movie.pk])
    browser = Client()

    statuses = [browser.post(url).status_code for _ in range(7)]

    # The first POST creates the viewer (counted as a new viewer), then 4 a minute.
    assert statuses == [302] * 5 + [429] * 2
    user = django_user_model.objects.create_user("bo", password="pw-long-enough-1")
    account = Client()
    account.force_login(user)
    assert {account.post(url).status_code for _ in range(6)} == {302}


def test_idle_anonymous_viewers_expire_with_their_feedback_by_a_beat_task(
    settings, django_user_model
):
    from recsys_site.celery import app
    from viewers.tasks import expire_anonymous_viewers

    settings.RECSYS_ANONYMOUS_VIEWER_IDLE_DAYS = 30
    movie = MovieFactory()
    idle, active = anonymous_likes(2, movie)
    my_list_toggle(viewer=idle, movie_id=movie.pk)
    user = django_user_model.objects.create_user("cy", password="pw-long-enough-1")
    reaction_toggle(viewer=Viewer(user_id=user.pk), movie_id=movie.pk, value=LIKE)
    AnonymousViewer.objects.filter(anonymous_id=idle.anonymous_id).update(
        last_seen_at=timezone.now() - timedelta(days=31)
    )
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )

    deleted = expire_anonymous_viewers.apply().get()

    assert deleted == {"reactions": 1, "my_list": 1, "viewers": 1, "sessions": 1}
    assert viewer_taste(idle) == viewer_taste(Viewer())
    assert viewer_taste(active).liked == [movie.pk]
    assert Reaction.objects.filter(user=user).exists()
    schedule = settings.CELERY_BEAT_SCHEDULE["viewers-expire-anonymous"]
    assert schedule["task"] == expire_anonymous_viewers.name in app.tasks


def test_signing_in_makes_the_anonymous_viewer_an_account(django_user_model):
    movie = MovieFactory()
    (browser,) = anonymous_likes(1, movie)
    user = django_user_model.objects.create_user("di", password="pw-long-enough-1")

    viewer_merge_anonymous(anonymous_id=browser.anonymous_id, user_id=user.pk)

    assert not AnonymousViewer.objects.exists()
    assert popularity()[movie.pk] == 1  # now an account's like
