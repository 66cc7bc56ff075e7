"""The fine-tuned retriever: a tiny training learns its pairs, and serving never mixes models
(a collection's vectors, what is written into it and the queries compared with it all come
from the model its fingerprint names; activating a retriever rebuilds into a shadow copy)."""

import io

import numpy as np
import pytest

from movies.models import Movie
from recommendations import vector_store
from recommendations.embedding import (
    MODEL_ID,
    encode,
    film_text,
    fingerprint_of,
    index_fingerprint,
)
from recommendations.indexing import services
from recommendations.lab.progress import SilentProgress
from recommendations.lab.reranker_data import limit_torch_threads
from recommendations.lab.retriever_training import (
    Example,
    Recipe,
    base_model,
    fit,
    save_model,
)
from recommendations.models import TrainedModel
from recommendations.query_encoder import encode_queries
from recommendations.search import dense, pipeline
from recommendations.search.expansion import without_framing
from recommendations.trained_models import (
    artifact_directory,
    artifact_path,
    trained_model_activate,
    trained_model_register,
)
from tests.recommendations.conftest import reset_search_caches

# Opaque codes the pretrained model cannot know: only training can tie each to its film.
PAIRS = [
    ("case file KX-7", "Pirates bury a treasure map on a volcanic island."),
    ("case file QV-2", "A robot factory starts building copies of itself."),
    ("case file ZT-9", "Ghosts haunt a lighthouse keeper through a foggy winter."),
    ("case file MB-4", "A night train across Romania carries a vampire."),
    ("case file RW-1", "Astronauts repair a broken space station in orbit."),
    ("case file HJ-5", "A jazz trumpeter plays one last night in New Orleans."),
    ("case file PL-8", "A chef saves a failing restaurant in Paris."),
    ("case file DN-3", "Climbers are trapped on a frozen north face."),
]


def _right_film_ranks(model) -> list[int]:
    queries = model.encode([q for q, _ in PAIRS], normalize_embeddings=True)
    films = model.encode([t for _, t in PAIRS], normalize_embeddings=True)
    scores = queries @ films.T
    return [int((row > row[i]).sum()) + 1 for i, row in enumerate(scores)]


def test_a_tiny_training_puts_each_training_query_s_film_higher():
    limit_torch_threads()
    model = base_model()
    examples = [
        Example(query_id=str(i), query=q, movie_id=i, text=t) for i, (q, t) in enumerate(PAIRS)
    ]
    before = _right_film_ranks(model)

    losses = fit(
        model,
        examples,
        Recipe.tiny(epochs=6, batch_size=8, lr=2e-4, hard_negatives=False),
        SilentProgress(),
    )

    after = _right_film_ranks(model)
    assert losses[-1] < losses[0]
    assert np.mean(after) < np.mean(before), (before, after)
    assert sum(rank == 1 for rank in after) > sum(rank == 1 for rank in before)


# --- The command and the admin --------------------------------------------------------------


def test_train_retriever_command_trains_and_registers_an_inactive_version(
    films, db, settings, tmp_path
):
    """Catalogue pseudo-queries only (no labelled file), hard negatives mined by search; runs
    before the serving test below, which moves this module's index to another model."""
    from django.core.management import call_command

    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    out = io.StringIO()
    call_command("train_retriever", "--tiny", "--epochs", "1", stdout=out)

    model = TrainedModel.objects.get(kind=TrainedModel.Kind.RETRIEVER)
    assert not model.is_active
    assert model.metrics["examples"]["catalogue"] == 8
    assert model.metrics["examples"]["with_hard_negative"] == 8
    directory = artifact_directory(TrainedModel.Kind.RETRIEVER, model.version)
    assert (directory / "model.safetensors").is_file() and (directory / "training.json").is_file()
    assert f"retriever {model.version}" in out.getvalue()


def test_the_admin_queues_retriever_training_as_a_job_the_task_runs(client, db, settings):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from jobs.models import Job

    client.force_login(User.objects.create_superuser("curator", "c@example.com", "pw"))
    page = client.get(reverse("admin:recommendations_trainedmodel_changelist")).content.decode()
    url = reverse("admin:recommendations_heavy_action", args=["train-retriever"])
    assert url in page and "Train retriever" in page
    assert "Start training" in client.get(url).content.decode()

    response = client.post(url)

    job = Job.objects.get(kind=Job.Kind.TRAIN_RETRIEVER)
    assert response.status_code == 302 and response.url.endswith(f"/{job.pk}/change/")
    assert job.params["recipe"] == settings.RECSYS_RETRIEVER_RECIPE

    from recommendations.tasks import train_retriever_task

    # The task's body, run here on an empty catalogue: the job's recipe is trained, and fails.
    with pytest.raises(ValueError, match="too few to train a retriever"):
        train_retriever_task(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "too few to train a retriever" in job.log


def test_activating_a_retriever_in_the_admin_queues_a_rebuild(client, db):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from jobs.models import Job

    client.force_login(User.objects.create_superuser("curator", "c@example.com", "pw"))
    version = trained_model_register(
        kind=TrainedModel.Kind.RETRIEVER,
        version="v1",
        path="retriever/v1",
        config={},
        metrics={},
        data_hash="",
    )
    url = reverse("admin:recommendations_trainedmodel_changelist")

    client.post(url, {"action": "activate", "_selected_action": [version.pk]})

    assert TrainedModel.objects.get(pk=version.pk).is_active
    assert Job.objects.filter(kind=Job.Kind.REBUILD).count() == 1


# --- Serving: one model per collection ----------------------------------------------------


@pytest.fixture
def retriever(db, settings, tmp_path):
    """A registered, inactive retriever version whose vectors differ from the pretrained
    model's (its word embeddings nudged), with a ONNX export of its own on first use."""
    import torch

    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    model = base_model()
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        embeddings = model[0].auto_model.embeddings.word_embeddings.weight
        embeddings.add_(0.05 * torch.randn(embeddings.shape, generator=generator))
    directory = artifact_directory(TrainedModel.Kind.RETRIEVER, "test-1")
    save_model(model, directory, metrics={}, training={"train_query_ids": []})
    yield trained_model_register(
        kind=TrainedModel.Kind.RETRIEVER,
        version="test-1",
        path=artifact_path(directory),
        config={},
        metrics={},
        data_hash="",
    )
    reset_search_caches()
    dense.clear_query_cache()


def _stored_vector(collection, movie: Movie) -> np.ndarray:
    got = collection.get(ids=[str(movie.pk)], include=["embeddings"])
    return np.asarray(got["embeddings"][0], dtype=np.float32)


@pytest.fixture
def fp32_queries(settings):
    """Queries in fp32 whatever this CPU's `auto` picks: the test below tells the two models'
    query vectors apart by their distance to torch's, which int8 per token (about 1e-2 a
    component away) would blur."""
    from recommendations.query_encoder import get_query_encoder

    settings.RECSYS_QUERY_ENCODER_PRECISION = "fp32"
    get_query_encoder.cache_clear()
    yield
    get_query_encoder.cache_clear()


def test_activating_a_retriever_rebuilds_with_it_and_queries_follow_the_live_index(
    films, retriever, fresh_stamps, fp32_queries
):
    heat = films["Heat"]
    # "movie": the pretrained model reads the query without it, a retriever as asked
    query = "movie where a detective hunts a crew of bank robbers"
    live_before = vector_store.get_collection()
    assert vector_store.collection_model(live_before) == MODEL_ID

    trained_model_activate(model_id=retriever.pk)
    name = "retriever/test-1"
    assert index_fingerprint() == fingerprint_of(name)
    # The live index still holds the pretrained model's vectors: search keeps encoding queries
    # with that model, and no write with the new model reaches the live collection.
    result = pipeline.retrieve(query)
    assert result.dense.model == MODEL_ID
    assert without_framing(result.parsed.chunks) != result.parsed.chunks
    assert np.allclose(
        result.query_vectors, encode(without_framing(result.parsed.chunks)), atol=1e-4
    )
    assert vector_store.write_targets() == []

    # The sync sees the model changed and rebuilds into a shadow collection.
    batches: list[services.Batch] = []
    job = services.index_sync(dispatch=batches.append)
    assert job.kind == "rebuild"
    shadow = vector_store.get_collection(vector_store.read_pointer().building)
    assert vector_store.collection_model(shadow) == name
    # A film edited mid-rebuild reaches the shadow only, with the shadow's model.
    Movie.objects.filter(pk=heat.pk).update(tagline="The last big score.")
    heat.refresh_from_db()
    assert [c.name for c in vector_store.write_targets()] == [shadow.name]
    edits: list[services.Batch] = []
    services.index_sync(movie_ids=[heat.pk], dispatch=edits.append)
    for batch in edits:
        services.index_batch(batch=batch)
    assert np.abs(_stored_vector(live_before, heat) - encode([film_text(heat)])[0]).max() > 1e-3
    expected_new = encode([film_text(heat)], model=name)[0]
    assert np.abs(_stored_vector(shadow, heat) - expected_new).max() < 1e-4
    # Meanwhile search still reads the live collection, with the pretrained model.
    assert pipeline.retrieve(query).dense.model == MODEL_ID

    for batch in batches:
        services.index_batch(batch=batch)

    live = vector_store.get_collection()
    assert live.name == shadow.name
    reset_search_caches()
    result = pipeline.retrieve(query)
    assert result.dense.model == name
    assert np.abs(result.query_vectors - encode(result.parsed.chunks, model=name)).max() < 1e-4
    assert np.abs(result.query_vectors - encode(result.parsed.chunks)).max() > 1e-3
    assert np.abs(_stored_vector(live, heat) - expected_new).max() < 1e-4
    assert pipeline.run_pipeline(query).final.size  # the whole pipeline runs on it
    # The query encoder of this version is its own export, beside its weights.
    onnx = services_onnx_path(name)
    assert onnx.is_file() and onnx.is_relative_to(artifact_directory("retriever", "test-1"))
    assert np.abs(encode_queries([query], model=name) - encode([query], model=name)).max() < 1e-4


def services_onnx_path(model: str):
    from recommendations.query_encoder import onnx_path

    return onnx_path(model)


def test_with_no_trained_retriever_the_fingerprint_is_today_s(db):
    assert index_fingerprint() == f"{MODEL_ID}#text-v2"
