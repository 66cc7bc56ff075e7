"""The trained hybrid on a small real catalogue (vectors in Chroma, a few ratings)."""

from pathlib import Path

import pytest
from django.conf import settings

from recommendations.models import TrainedModel
from recommendations.recommenders.algorithms import RELATED
from recommendations.recommenders.artifacts import active_recommender_artifact
from recommendations.recommenders.live import recommender_for
from recommendations.recommenders.training import recommender_train

pytestmark = pytest.mark.django_db


def test_training_saves_a_versioned_active_model(trained, catalogue):
    assert trained.is_active and trained.kind == TrainedModel.Kind.RECOMMENDER
    assert (Path(settings.MODELS_DIR) / trained.path / "model.npz").is_file()
    assert trained.metrics["films_with_vectors"] == len(catalogue)
    assert trained.metrics["collaborative_films"] > 0

    again = recommender_train()

    assert again.version != trained.version
    assert list(TrainedModel.objects.filter(is_active=True)) == [again]
    assert active_recommender_artifact().version == again.version


def test_one_like_is_enough_for_related_picks_that_name_the_liked_film(trained, catalogue):
    recommender = recommender_for(active_recommender_artifact())
    heat = catalogue["Heat"].pk

    picks = recommender.recommend(liked_ids=[heat], n=4, params=RELATED)

    titles = {catalogue_title(catalogue, p.movie_id) for p in picks}
    assert heat not in {p.movie_id for p in picks}
    assert titles <= {"Collateral", "Thief", "The Town", "Inside Man", "Blade Runner"}
    assert all(p.anchor_id == heat for p in picks)


def test_a_sci_fi_like_brings_sci_fi(trained, catalogue):
    recommender = recommender_for(active_recommender_artifact())
    picks = recommender.recommend(liked_ids=[catalogue["Alien"].pk], n=2, params=RELATED)
    assert {catalogue_title(catalogue, p.movie_id) for p in picks} <= {"Aliens", "Blade Runner"}


def test_without_likes_the_recommender_is_popularity(trained, catalogue):
    recommender = recommender_for(active_recommender_artifact())
    picks = recommender.recommend(liked_ids=[], n=3)
    assert catalogue_title(catalogue, picks[0].movie_id) in {"Heat", "The Town"}
    assert all(p.anchor_id is None for p in picks)


def test_training_without_a_vector_store_degrades_to_ratings(ratings, models_dir, settings):
    settings.CHROMA_URL = "http://127.0.0.1:9"  # nothing listens there
    from recommendations.vector_store import get_client

    get_client.cache_clear()
    try:
        trained = recommender_train()
    finally:
        settings.CHROMA_URL = ""
        get_client.cache_clear()
    assert trained.metrics["films_with_vectors"] == 0
    assert trained.metrics["collaborative_films"] > 0


def catalogue_title(catalogue: dict, movie_id: int) -> str:
    return next(title for title, movie in catalogue.items() if movie.pk == movie_id)
