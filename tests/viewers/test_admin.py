import pytest
from django.urls import reverse

from jobs.models import Job
from recommendations.models import TrainedModel

pytestmark = pytest.mark.django_db


def retrain_url() -> str:
    """The ratings list links here: the recommendations admin's confirmation page."""
    return reverse("admin:recommendations_heavy_action", args=["retrain-recommender"])


def test_the_trained_model_action_queues_a_training_job_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    model = TrainedModel.objects.create(kind="recommender", version="v1", path="recommender/v1")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:recommendations_trainedmodel_changelist"),
            {"action": "retrain_recommender", "_selected_action": [model.pk]},
            follow=True,
        )
    assert "Retrain recommender queued as job" in response.content.decode()
    job = Job.objects.get()
    assert (job.kind, job.status, job.total) == ("train_recommender", "queued", 4)
    assert len(callbacks) == 1  # the Celery task is sent only once the job row is committed


def test_the_ratings_list_shows_the_retrain_button(admin_client):
    html = admin_client.get(reverse("admin:viewers_rating_changelist")).content.decode()
    assert "Retrain recommender" in html
    assert reverse("admin:recommendations_heavy_action", args=["retrain-recommender"]) in html


def staff_who_may_only_view(client, *models: str):
    """A logged-in staff user with only the view permission of these "app.model"s."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("viewer-staff", password="pw", is_staff=True)
    for label in models:
        app, model = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=f"view_{model}")
        )
    client.force_login(user)
    return user


def test_a_staff_user_who_may_only_view_models_can_neither_activate_nor_retrain(client):
    staff_who_may_only_view(client, "recommendations.trainedmodel")
    model = TrainedModel.objects.create(kind="recommender", version="v1", path="recommender/v1")
    url = reverse("admin:recommendations_trainedmodel_changelist")

    page = client.get(url).content.decode()
    for action in ("activate", "retrain_recommender"):
        assert f'value="{action}"' not in page
        client.post(url, {"action": action, "_selected_action": [model.pk]})

    model.refresh_from_db()
    assert not model.is_active
    assert not Job.objects.exists()


def test_the_ratings_retrain_button_refuses_staff_without_the_permission(client):
    staff_who_may_only_view(client, "viewers.rating")

    response = client.post(retrain_url())

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_a_second_retrain_is_refused_while_the_first_is_queued(
    admin_client, django_capture_on_commit_callbacks
):
    url = retrain_url()
    with django_capture_on_commit_callbacks(execute=False):
        first = admin_client.post(url)
        second = admin_client.post(url, follow=True)

    job = Job.objects.get()
    assert first.url.endswith(f"/job/{job.pk}/change/")
    assert f"Train recommender is already queued as job #{job.pk}" in second.content.decode()


def test_a_curator_builds_a_staff_picks_row_in_admin(admin_client):
    from tests.factories import MovieFactory
    from viewers.models import CuratedRow

    heat, alien = MovieFactory(title="Heat"), MovieFactory(title="Alien")
    add = reverse("admin:viewers_curatedrow_add")
    form = admin_client.get(add).content.decode()
    assert "autocomplete" in form  # films are found by title, not by a 30k-option list
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "alie",
            "app_label": "viewers",
            "model_name": "curatedrowfilm",
            "field_name": "movie",
        },
    ).json()
    assert [r["id"] for r in found["results"]] == [str(alien.pk)]

    prefix = "entries"
    response = admin_client.post(
        add,
        {
            "title": "Staff picks",
            "position": "0",
            "is_active": "on",
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-order": "1",
            f"{prefix}-0-movie": str(heat.pk),
            f"{prefix}-0-note": "",
            f"{prefix}-1-order": "0",
            f"{prefix}-1-movie": str(alien.pk),
            f"{prefix}-1-note": "In space no one can hear you scream",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CuratedRow.objects.get()
    assert [e.movie.title for e in row.entries.all()] == ["Alien", "Heat"]
