"""The trained hybrid on a small real catalogue (vectors in Chroma, a few ratings)."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from recommendations.lab.recommender_training import recommender_train
from recommendations.models import TrainedModel
from recommendations.recommenders import algorithms
from recommendations.recommenders.algorithms import RELATED
from recommendations.recommenders.artifacts import (
    active_recommender_artifact,
    artifact_read,
    artifact_save,
)
from recommendations.recommenders.live import recommender_for
from recommendations.recommenders.rows import RowRecommender
from recommendations.search.catalogue import get_snapshot
from recommendations.search.dense import get_dense_index

pytestmark = pytest.mark.django_db


def test_training_saves_a_versioned_active_model(trained, catalogue):
    assert trained.is_active and trained.kind == TrainedModel.Kind.RECOMMENDER
    assert (Path(settings.RECSYS_MODELS_DIR) / trained.path / "model.npz").is_file()
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
    settings.RECSYS_CHROMA_URL = "http://127.0.0.1:9"  # nothing listens there
    from recommendations.vector_store import get_client

    get_client.cache_clear()
    try:
        trained = recommender_train()
    finally:
        settings.RECSYS_CHROMA_URL = ""
        get_client.cache_clear()
    assert trained.metrics["films_with_vectors"] == 0
    assert trained.metrics["collaborative_films"] > 0


def catalogue_title(catalogue: dict, movie_id: int) -> str:
    return next(title for title, movie in catalogue.items() if movie.pk == movie_id)


def test_the_cooccurrence_table_is_saved_loaded_and_optional(trained, catalogue):
    artifact = active_recommender_artifact()
    table = artifact.cooccurrence
    assert table is not None and table.shape == (len(artifact.item_ids),) * 2
    toy_story, nemo, notting_hill, heat = artifact.positions(
        [catalogue[t].pk for t in ("Toy Story", "Finding Nemo", "Notting Hill", "Heat")]
    )
    # RATERS: both Toy Story raters rated Finding Nemo, one Notting Hill, none Heat
    assert table[toy_story, nemo] == 1.0
    assert table[toy_story, notting_hill] == 0.5
    assert table[toy_story, heat] == 0.0 and table[toy_story, toy_story] == 0.0
    assert trained.metrics["cooccurrence_pairs"] == table.nnz

    # An artifact saved before the table existed still loads, without it.
    older = dataclasses.replace(artifact, version="older", cooccurrence=None)
    directory = artifact_save(older)
    loaded = artifact_read(directory, "older")
    assert loaded.cooccurrence is None
    assert (loaded.ease == artifact.ease).all()


def test_cooccurrence_moves_a_co_rated_film_up_for_a_one_film_history(trained, catalogue):
    artifact = active_recommender_artifact()
    snapshot = get_snapshot()
    dense = get_dense_index(snapshot)
    assert algorithms.ROWS.cooccurrence_weights(1)[2] > 0
    toy_story, notting_hill, blade_runner = (
        catalogue[t].pk for t in ("Toy Story", "Notting Hill", "Blade Runner")
    )
    # The same table, less the one rater who watched both (Finding Nemo stays co-watched).
    table = artifact.cooccurrence.tolil()
    table[tuple(artifact.positions([toy_story, notting_hill]))] = 0.0
    table = table.tocsr()
    table.eliminate_zeros()
    nothing_taken = np.zeros(snapshot.size, dtype=bool)

    def lead(cooccurrence) -> float:
        """How far Notting Hill scores above Blade Runner (co-watched with Toy Story by nobody,
        as popular), one like of Toy Story."""
        recommender = RowRecommender(
            snapshot, dense, dataclasses.replace(artifact, cooccurrence=cooccurrence)
        )
        picks = recommender.recommend([toy_story], n=snapshot.size, taken=nothing_taken)
        score = {p.movie_id: p.score for p in picks}
        return score[notting_hill] - score[blade_runner]

    # Notting Hill (a romance) shares a rater with Toy Story but nothing of its content.
    assert lead(artifact.cooccurrence) > lead(table) + 1.0
