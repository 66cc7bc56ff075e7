"""TrainedModel admin: versions listed with their held-out figures, "Train reranker" button,
"activate" action (one active per kind)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from recommendations.models import TrainedModel
from tests.factories import registered_reranker

pytestmark = pytest.mark.django_db

HELD_OUT = {
    "baseline": {"ndcg@10": 0.2, "queries": 372},
    "cross-encoder": {"ndcg@10": 0.26, "queries": 372},
}


@pytest.fixture
def curator(client):
    client.force_login(User.objects.create_superuser("curator", "c@example.com", "pw"))
    return client


def register(version: str) -> TrainedModel:
    return registered_reranker(
        version, metrics={"held_out": HELD_OUT}, data_hash="abc123def4567890"
    )


def test_the_changelist_shows_versions_figures_and_the_train_button(curator):
    register("v1")
    page = curator.get(reverse("admin:recommendations_trainedmodel_changelist")).content.decode()
    assert "v1" in page
    assert "0.200 → 0.260 (n=372)" in page
    assert "abc123def456" in page
    assert reverse("admin:recommendations_heavy_action", args=["train-reranker"]) in page
    assert "Train reranker" in page


def test_activate_action_makes_exactly_one_version_active(curator):
    first, second = register("v1"), register("v2")
    url = reverse("admin:recommendations_trainedmodel_changelist")
    for model in (first, second):
        curator.post(url, {"action": "activate", "_selected_action": [model.pk]})
        assert list(TrainedModel.objects.filter(is_active=True)) == [model]


def test_a_get_only_asks_for_confirmation(curator):
    from jobs.models import Job

    url = reverse("admin:recommendations_heavy_action", args=["train-reranker"])
    page = curator.get(url).content.decode()
    assert "Start training" in page and "no estimate of how long" in page
    assert not Job.objects.exists()


def test_training_progress_times_each_phase_and_stops_when_cancelled(curator):
    from datetime import timedelta

    from django.utils import timezone

    from jobs.models import Job
    from jobs.selectors import job_rate_and_eta
    from jobs.services import JobCancelled, job_cancel, job_create, job_start
    from recommendations.lab.progress import JobProgress

    job = job_create(kind=Job.Kind.TRAIN_RERANKER)
    job_start(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=20))
    progress = JobProgress(job.pk)
    progress.start(100, "fitting")
    Job.objects.filter(pk=job.pk).update(phase_started_at=timezone.now() - timedelta(seconds=10))
    progress.advance(20)

    job.refresh_from_db()
    rate, eta = job_rate_and_eta(job)
    assert job.phase == "fitting" and (job.done, job.total) == (20, 100)
    assert rate == pytest.approx(2.0, rel=0.05) and eta == pytest.approx(40, rel=0.05)
    page = curator.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert 'data-field="phase">fitting<' in page

    job_cancel(job_id=job.pk)
    progress.cancel_check_seconds = 0
    with pytest.raises(JobCancelled):
        progress.advance(1)


def test_the_list_says_which_queries_each_version_reorders_and_activation_says_it_too(curator):
    from recommendations.rerank.gate import Band, RerankGate

    def gated(version: str, serves: bool) -> TrainedModel:
        gate = RerankGate((Band(13, 40, 60, 0.30, 0.33 if serves else 0.29, serves),))
        return registered_reranker(version, metrics={"held_out": HELD_OUT, "gate": gate.to_dict()})

    helps, does_not = gated("helps", True), gated("does-not", False)
    register("old")  # trained before gates: serves every query, as it did
    url = reverse("admin:recommendations_trainedmodel_changelist")
    page = curator.get(url).content.decode()
    assert "13-39 words" in page
    assert "every query (no validation gate recorded)" in page

    response = curator.post(
        url, {"action": "activate", "_selected_action": [does_not.pk]}, follow=True
    )
    said = response.content.decode()
    assert "It reorders: no query: it did not beat the stage before it on validation" in said
    response = curator.post(
        url, {"action": "activate", "_selected_action": [helps.pk]}, follow=True
    )
    assert "It reorders: 13-39 words." in response.content.decode()


def test_the_list_shows_the_serving_cost_each_version_chose(curator):
    from recommendations.rerank.cost import ScoredSetting, ServingCost, Setting

    full, cheap = Setting(20, 108, 96), Setting(10, 64, 96)
    cost = ServingCost(
        cheap,
        full,
        0.002,
        (ScoredSetting(full, 0.381, 4160.0), ScoredSetting(cheap, 0.380, 1600.0)),
    )
    registered_reranker("cheap", metrics={"held_out": HELD_OUT, "serving_cost": cost.to_dict()})
    register("old")  # trained before serving costs: as trained
    page = curator.get(reverse("admin:recommendations_trainedmodel_changelist")).content.decode()
    assert "top 10, 64 film / 96 query tokens (38% of the full setting" in page
    assert "as trained (no serving cost chosen)" in page
