"""Which reranker serves: the active TrainedModel, loaded once, swapped when another is
activated or its files are rewritten, and None (the fused order) when there is none or it
cannot load."""

import io
import logging
import shutil

import pytest

from recommendations.models import TrainedModel
from recommendations.rerank.serving import active_reranker, forget_active_reranker
from recommendations.trained_models import trained_model_activate
from tests.factories import registered_reranker

pytestmark = pytest.mark.django_db


@pytest.fixture
def models_dir(settings, trained, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path
    shutil.copytree(trained.directory, tmp_path / "reranker" / "a")
    shutil.copytree(trained.directory, tmp_path / "reranker" / "b")
    forget_active_reranker()
    yield tmp_path
    forget_active_reranker()


def register(version: str, *, activate: bool = False) -> TrainedModel:
    return registered_reranker(version, activate=activate)


def test_none_is_active_so_there_is_no_reranker(models_dir):
    register("a")
    assert active_reranker() is None


def test_the_active_version_is_loaded_once_and_swapped_on_activation(models_dir):
    register("a", activate=True)
    b = register("b")
    first = active_reranker()
    assert first is not None and first.version == "a"
    assert first.name == "cross-encoder"
    assert active_reranker() is first  # not reloaded

    trained_model_activate(model_id=b.pk)

    second = active_reranker()
    assert second is not None and second.version == "b" and second is not first
    assert TrainedModel.objects.filter(is_active=True).count() == 1


def test_a_version_whose_files_are_rewritten_is_loaded_again(models_dir):
    import os

    from recommendations.trained_models import expire_active_models

    register("a", activate=True)
    first = active_reranker()
    weights = models_dir / "reranker" / "a" / "model.weights.h5"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    # Files are checked with the registry, every RECSYS_ACTIVE_MODEL_CHECK_SECONDS
    # (tests/recommendations/test_trained_models.py): as when that time has passed
    expire_active_models()

    again = active_reranker()
    assert again is not None and again is not first and again.version == "a"


def test_an_artifact_that_fails_to_load_falls_back_to_none_and_is_logged(models_dir, caplog):
    (models_dir / "reranker" / "a" / "model.weights.h5").write_bytes(b"not weights")
    register("a", activate=True)
    with caplog.at_level(logging.ERROR):
        assert active_reranker() is None
    assert "failed to load" in caplog.text


def test_evaluate_leaves_out_the_queries_the_active_reranker_trained_on(models_dir, tmp_path):
    import json

    from django.core.management import call_command

    training = models_dir / "reranker" / "a" / "training.json"
    training.write_text(json.dumps({**json.loads(training.read_text()), "train_query_ids": ["q1"]}))
    register("a", activate=True)
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "".join(
            json.dumps({"id": i, "query": "a film", "answer": {"imdb_id": "tt0000001"}}) + "\n"
            for i in ("q1", "q2", "q3")
        )
    )
    out = io.StringIO()

    call_command("evaluate", str(queries), stdout=out)

    assert "0 queries evaluated, 2 skipped" in out.getvalue()
    assert "1 query left out: a learned stage trained on them" in out.getvalue()
    assert "reranked stage: cross-encoder a (onnx-int8)" in out.getvalue()  # the default
