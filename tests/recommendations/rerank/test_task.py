"""The admin's "Train reranker": a Job queued after commit, run by a real Celery worker
(Redis database 5, a queue of its own), which trains a tiny model on the database catalogue,
registers the version and reports progress and a log on the Job row."""

import json
import time
import uuid

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from bench.processes import CeleryWorker
from jobs.models import Job
from recommendations.models import TrainedModel
from tests.conftest import celery_app_using, database_url_of_tests
from tests.factories import GenreFactory, KeywordFactory, MovieFactory
from tests.recommendations.rerank.conftest import tiny_films, tiny_queries

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS = "redis://127.0.0.1:6379/5"
QUEUE = f"reranker-tests-{uuid.uuid4().hex[:8]}"  # of this run alone


@pytest.fixture
def worker(tmp_path, settings):
    """A real worker process on its own queue, seeing the test database and RECSYS_MODELS_DIR."""
    queries = tmp_path / "queries.jsonl"
    films = tiny_films()
    with queries.open("w") as handle:
        for q in tiny_queries(films):
            handle.write(
                json.dumps({"id": q.id, "query": q.text, "answer": {"tmdb_id": q.movie_id}})
            )
            handle.write("\n")
    data_dir = tmp_path / "data"
    settings.RECSYS_MODELS_DIR = data_dir / "models"
    settings.RECSYS_RERANKER_RECIPE = "tiny"
    worker = CeleryWorker(
        queue=QUEUE,
        broker_url=REDIS,
        pool="solo",
        log_path=tmp_path / "worker.log",
        env={
            "DATABASE_URL": database_url_of_tests(),
            "REDIS_URL": REDIS,
            "RECSYS_DATA_DIR": str(data_dir),
            "RECSYS_RERANKER_TRAINING_QUERIES": str(queries),
            "RECSYS_RERANKER_RECIPE": "tiny",
        },
    ).start()
    with celery_app_using(REDIS, QUEUE):
        yield worker
    worker.stop(timeout=60)


def make_catalogue() -> None:
    drama = GenreFactory(name="Drama")
    for film in tiny_films():
        movie = MovieFactory(
            title=f"The {film.keywords[1].title()} Story",
            synopsis=film.synopsis,
            tmdb_id=film.tmdb_id,
        )
        movie.genres.add(drama)
        movie.keywords.add(*[KeywordFactory(name=k) for k in film.keywords])


def test_train_reranker_from_admin_runs_on_a_worker_and_registers_a_version(
    worker, client, settings
):
    make_catalogue()
    admin_user = User.objects.create_superuser("curator", "c@example.com", "pw")
    client.force_login(admin_user)
    response = client.post(reverse("admin:recommendations_heavy_action", args=["train-reranker"]))
    assert response.status_code == 302
    job = Job.objects.get(kind=Job.Kind.TRAIN_RERANKER)

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            break
        time.sleep(1)
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert "training" in job.log and "held-out" in job.log
    model = TrainedModel.objects.get(kind=TrainedModel.Kind.RERANKER)
    assert job.result["trained_model_id"] == model.pk
    assert (settings.RECSYS_MODELS_DIR / model.path / "model.weights.h5").exists()
    assert model.metrics["held_out"]["baseline"]["queries"] > 0
    assert not model.is_active  # curators activate it
