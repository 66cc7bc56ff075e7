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
