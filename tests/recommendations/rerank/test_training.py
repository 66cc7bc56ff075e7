"""CI trains a tiny cross-encoder on a tiny set and checks that it learns."""

import json

import numpy as np

from recommendations.lab.progress import SilentProgress
from recommendations.lab.reranker_training import Group, Recipe, fit, new_model
from recommendations.lab.split import split_by_query
from recommendations.rerank.base import Candidate
from recommendations.rerank.cross_encoder import CrossEncoderReranker, training_query_ids
from tests.recommendations.rerank.conftest import PLANTED_QUERY


def test_the_loss_falls(trained):
    curve = trained.metrics["loss_curve"]
    assert len(curve) >= 5
    assert np.mean(curve[-2:]) < 0.6 * np.mean(curve[:2]), curve


def test_a_planted_positive_ranks_first_after_training_and_not_before(films):
    recipe = Recipe.tiny(use_dense_prior=False)
    by_id = {f.movie_id: f for f in films}
    ghosts = next(f for f in films if "ghosts" in f.keywords)
    others = [f for f in films if f.movie_id != ghosts.movie_id]
    rng = np.random.default_rng(0)
    groups = []
    for film in films:  # every film's own keywords ask for it, against random others
        negatives = rng.choice([f for f in films if f is not film], recipe.group_size - 1, False)
        query = " ".join(film.keywords)
        groups.append(Group("g", query, [(m.movie_id, m.text) for m in [film, *negatives]]))
    groups.append(  # the planted pair
        Group("planted", PLANTED_QUERY, [(f.movie_id, f.text) for f in [ghosts, *others[:3]]])
    )
    model = new_model(num_layers=2, max_query_tokens=24, max_doc_tokens=40, use_dense_prior=False)
    reranker = CrossEncoderReranker(model)
    pool = [Candidate(movie_id=f.movie_id, text=f.text) for f in [*others[:7], ghosts]]

    before = reranker.score(PLANTED_QUERY, pool)
    assert not before[-1] > max(before[:-1])  # untrained: the head starts at zero

    fit(model, groups, Recipe.tiny(use_dense_prior=False, epochs=4), SilentProgress())
    after = reranker.score(PLANTED_QUERY, pool)
    assert after[-1] > max(after[:-1]), after
    assert by_id[ghosts.movie_id].movie_id == pool[int(np.argmax(after))].movie_id


def test_with_weight_averaging_the_model_keeps_the_average_of_its_weights(films):
    import keras

    keras.utils.set_random_seed(5)  # whatever trained before in this process
    groups = [
        Group(f"g{f.movie_id}", " ".join(f.keywords), [(m.movie_id, m.text) for m in films[:4]])
        for f in films
    ]
    moved = {}
    for momentum in (0.0, 0.5, 0.999999):
        model = new_model(num_layers=1, max_query_tokens=16, max_doc_tokens=24)
        fit(model, groups, Recipe.tiny(weight_averaging=momentum, epochs=3), SilentProgress())
        moved[momentum] = float(np.abs(model.out.kernel.numpy()).sum())
    # The head's last layer starts at zero and every step moves it on: the raw weights move
    # furthest, an average with a short memory less, and one that remembers only its first
    # step (the average starts there) least.
    assert moved[0.0] > moved[0.5] > moved[0.999999] > 0, moved
    assert moved[0.999999] < 0.7 * moved[0.0], moved


def test_the_artifact_records_its_training_queries_and_held_out_metrics(trained, labelled_queries):
    directory = trained.directory
    train, held_out = split_by_query(labelled_queries, held_out_fraction=0.25)
    trained_on = training_query_ids(directory)
    assert trained_on and trained_on <= {q.id for q in train}
    assert trained_on.isdisjoint(q.id for q in held_out)
    recorded = json.loads((directory / "training.json").read_text())
    assert set(recorded["held_out_query_ids"]).isdisjoint(recorded["train_query_ids"])
    assert recorded["data_hash"] == trained.data_hash
    figures = trained.metrics["held_out"]
    assert figures["baseline"]["queries"] == figures["cross-encoder"]["queries"] > 0
    assert {"ndcg@10", "mrr@10", "recall@1"} <= set(figures["cross-encoder"])


def test_a_saved_model_scores_as_the_trained_one(trained, films):
    reranker = CrossEncoderReranker.from_directory(trained.directory)
    pool = [Candidate(movie_id=f.movie_id, text=f.text) for f in films[:6]]
    scores = reranker.score(PLANTED_QUERY, pool)
    again = CrossEncoderReranker.from_directory(trained.directory).score(PLANTED_QUERY, pool)
    assert len(scores) == 6
    assert np.allclose(scores, again, atol=1e-5)


def test_with_the_fused_prior_an_untrained_model_keeps_the_fused_order():
    model = new_model(num_layers=1, prior="fused", prior_scale=1.0)
    reranker = CrossEncoderReranker(model)
    fused = [0.4, 2.5, -0.3, 1.2]
    pool = [
        Candidate(movie_id=i, text=f"film number {i}", stage_scores={"fused": score})
        for i, score in enumerate(fused)
    ]

    scores = reranker.score("a film", pool)

    assert np.argsort(scores).tolist() == np.argsort(fused).tolist()
    assert np.allclose(scores, fused, atol=1e-5)  # the head starts at zero, the weight at 1


def test_fused_prior_groups_carry_the_fused_scores_where_the_answer_was_retrieved():
    from recommendations.lab.reranker_training import _mined_group

    recipe = Recipe.tiny(prior="fused", group_size=3)
    retrieved = [
        Candidate(movie_id=i, text=f"film {i}", stage_scores={"fused": 5.0 - i}) for i in range(6)
    ]

    def group_for(answer: int, *, source: str = "labelled", recipe: Recipe = recipe):
        return _mined_group(
            query_id="q",
            query="a query",
            positive=(answer, f"film {answer}"),
            candidates=retrieved,
            recipe=recipe,
            source=source,
        )

    group = group_for(2)
    assert group is not None and group.docs[0] == (2, "film 2")
    assert [movie_id for movie_id, _ in group.docs] == [2, 0, 1, 3, 4, 5]  # every negative kept
    by_id = {c.movie_id: c.stage_scores["fused"] for c in retrieved}
    assert group.prior == [by_id[movie_id] for movie_id, _ in group.docs]
    # Not retrieved: no fused score to start from, so the logit trains alone, or not at all.
    unretrieved = group_for(99)
    assert unretrieved is not None and unretrieved.docs[0] == (99, "film 99")
    assert unretrieved.prior == []
    assert group_for(99, recipe=Recipe.tiny(prior="fused", train_unretrieved=False)) is None
    # A catalogue query's sentence is in the index the fused score came from: no prior.
    assert group_for(2, source="catalogue").prior == []


def test_each_epoch_draws_its_negatives_afresh_and_keeps_the_prior_aligned():
    import random

    docs = [(i, f"film {i}") for i in range(10)]
    group = Group("q", "a query", docs, prior=[float(i) for i in range(10)])
    rng = random.Random(0)

    views = [group.drawn(4, rng) for _ in range(20)]

    assert all(v.docs[0] == (0, "film 0") and len(v.docs) == 4 for v in views)
    assert all(v.prior == [float(movie_id) for movie_id, _ in v.docs] for v in views)
    assert len({tuple(v.docs) for v in views}) > 1  # not the same negatives every epoch
    assert group.drawn(10, rng) is group  # nothing to draw from


def test_a_catalogue_without_labelled_queries_trains_on_more_catalogue_queries(
    films, labelled_queries, candidates
):
    from recommendations.lab.reranker_training import build_groups

    recipe = Recipe.tiny(use_dense_prior=False, synthetic_queries=2, synthetic_queries_alone=5)
    alone = build_groups([], films, candidates, recipe, SilentProgress())
    assert [g.source for g in alone] == ["catalogue"] * 5
    beside = build_groups(labelled_queries[:3], films, candidates, recipe, SilentProgress())
    assert [g.source for g in beside] == ["labelled"] * 3 + ["catalogue"] * 2
