import pytest
from django.urls import reverse

from jobs.models import Job
from recommendations.models import TrainedModel

pytestmark = pytest.mark.django_db


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
    assert reverse("admin:viewers_rating_retrain") in html


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
