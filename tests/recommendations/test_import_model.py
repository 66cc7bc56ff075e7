"""`import_model`: a version trained in another install registered in this one (its files
copied under this install's RECSYS_MODELS_DIR, its recorded figures kept), and what the model
list says it serves."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from recommendations.models import TrainedModel
from recommendations.trained_models import model_serves

pytestmark = pytest.mark.django_db


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path / "here"
    return settings.RECSYS_MODELS_DIR


def exported(root, kind: str, version: str, recipe: dict) -> object:
    """A version's directory as another install's RECSYS_MODELS_DIR holds it."""
    directory = root / "elsewhere" / kind / version
    directory.mkdir(parents=True)
    (directory / "model.txt").write_text("the weights")
    (directory / "metrics.json").write_text(json.dumps({"validation": {"ndcg@10": 0.38}}))
    (directory / "training.json").write_text(json.dumps({"data_hash": "abc", "recipe": recipe}))
    return directory


def test_a_version_from_another_install_is_copied_registered_and_activated(models_dir, tmp_path):
    source = exported(tmp_path, "fusion", "20261205-100202", {"min_query_words": 40})
    out = io.StringIO()

    call_command("import_model", "fusion", str(source), "--activate", stdout=out)

    model = TrainedModel.objects.get(kind="fusion", version="20261205-100202")
    assert model.is_active
    assert model.metrics == {"validation": {"ndcg@10": 0.38}} and model.data_hash == "abc"
    assert (models_dir / model.path / "model.txt").read_text() == "the weights"
    assert model.path == "fusion/20261205-100202"
    assert model_serves(model) == "queries of 40+ words"
    assert "registered Learned fusion 20261205-100202 (active)" in out.getvalue()


def test_an_imported_retriever_builds_the_next_index(models_dir, tmp_path):
    from recommendations.embedding import index_fingerprint

    source = exported(tmp_path, "retriever", "20261205-1050", {"epochs": 2})
    out = io.StringIO()

    call_command("import_model", "retriever", str(source), "--activate", stdout=out)

    assert index_fingerprint().startswith("retriever/20261205-1050#")
    assert "run sync_index" in out.getvalue()


def test_what_is_not_a_version_or_is_already_here_is_refused(models_dir, tmp_path):
    source = exported(tmp_path, "fusion", "v1", {})
    call_command("import_model", "fusion", str(source), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already in this install"):
        call_command("import_model", "fusion", str(source), stdout=io.StringIO())
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match=r"no training\.json"):
        call_command("import_model", "fusion", str(tmp_path / "empty"), stdout=io.StringIO())
    assert TrainedModel.objects.count() == 1
