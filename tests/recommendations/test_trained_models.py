"""How a process learns which trained model versions are active: one registry read for every
kind at most every RECSYS_ACTIVE_MODEL_CHECK_SECONDS (not a query a search), an activation in
this process seen at once, one in another process within that time."""

import types

import pytest

from recommendations import trained_models
from recommendations.models import TrainedModel
from recommendations.trained_models import (
    ActiveModel,
    active_models_stamp,
    trained_model_activate,
)
from tests.factories import registered_reranker

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The registry's clock, moved by hand."""
    clock = Clock()
    monkeypatch.setattr(trained_models, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    trained_models.expire_active_models()
    yield clock
    trained_models.expire_active_models()


@pytest.fixture
def notes(settings, tmp_path):
    """An ActiveModel whose versions are text files: it loads a version's text."""
    settings.RECSYS_MODELS_DIR = tmp_path
    settings.RECSYS_ACTIVE_MODEL_CHECK_SECONDS = 2.0
    for version in ("a", "b"):
        (tmp_path / "reranker" / version).mkdir(parents=True)
        (tmp_path / "reranker" / version / "note.txt").write_text(f"version {version}")
    model = ActiveModel(
        TrainedModel.Kind.RERANKER,
        lambda directory, version: (directory / "note.txt").read_text(),
        marker="note.txt",
    )
    yield model
    trained_models._instances.remove(model)


def register(version: str, *, activate: bool = False) -> TrainedModel:
    return registered_reranker(version, activate=activate)


def test_between_registry_reads_a_model_costs_no_query(notes, clock, django_assert_num_queries):
    register("a", activate=True)
    assert notes.get() == "version a"
    with django_assert_num_queries(0):
        for _ in range(100):
            assert notes.get() == "version a"
            active_models_stamp()
    clock.now += 2.5
    with django_assert_num_queries(1):  # one read for every kind
        assert notes.get() == "version a"
        active_models_stamp()


def test_an_activation_here_is_seen_at_once(notes, clock):
    register("a", activate=True)
    b = register("b")
    assert notes.get() == "version a"

    trained_model_activate(model_id=b.pk)

    assert notes.get() == "version b"


def test_an_activation_elsewhere_is_seen_within_the_check_interval(notes, clock):
    a = register("a", activate=True)
    b = register("b")
    assert notes.get() == "version a"
    stamp = active_models_stamp()
    # Another process activates b: this one gets no signal of it
    TrainedModel.objects.filter(pk=a.pk).update(is_active=False)
    TrainedModel.objects.filter(pk=b.pk).update(is_active=True)

    clock.now += 1.9
    assert notes.get() == "version a"
    assert active_models_stamp() == stamp
    clock.now += 0.2  # past RECSYS_ACTIVE_MODEL_CHECK_SECONDS since the last read
    assert notes.get() == "version b"
    assert active_models_stamp() != stamp


def test_a_deactivated_or_deleted_version_stops_serving(notes, clock):
    a = register("a", activate=True)
    assert notes.get() == "version a"
    a.delete()
    assert notes.get() is None


def test_files_rewritten_in_place_are_loaded_again_after_the_check_interval(notes, clock, settings):
    import os

    register("a", activate=True)
    assert notes.get() == "version a"
    note = settings.RECSYS_MODELS_DIR / "reranker" / "a" / "note.txt"
    note.write_text("version a, retrained")
    stat = note.stat()
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert notes.get() == "version a"  # no file check between reads
    clock.now += 2.1
    assert notes.get() == "version a, retrained"
