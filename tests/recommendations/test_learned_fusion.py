"""The learned fusion: its features reproduce the hand-set fusion's scores, a tiny version
trained in seconds on a handful of queries learns (beats a trivial ranker on its training
data), and search serves the active version to the queries it serves, steps aside for shorter
ones, and is unchanged without one. Real catalogue, real Chroma (the module's films)."""

import json
from dataclasses import replace

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from jobs.models import Job
from recommendations.fusion_tasks import train_fusion_task
from recommendations.lab.fusion import FusionRequest, fusion_train
from recommendations.lab.fusion_training import (
    SHORT_QUERY_WEIGHTS,
    Recipe,
    answer_ranks,
    collect,
    figures,
    hand_set,
    splits,
)
from recommendations.lab.progress import SilentProgress
from recommendations.lab.queries import load_queries, with_answers
from recommendations.models import TrainedModel
from recommendations.search.fusion import weighted_zscore
from recommendations.search.learned_fusion import (
    FEATURES,
    active_fusion,
    features,
    forget_active_fusion,
)
from recommendations.search.pipeline import DEFAULT_CONFIG, candidates_of, retrieve
from recommendations.trained_models import trained_model_activate

pytestmark = pytest.mark.django_db


def labelled_queries(path, films) -> list:
    """Two made-up queries a film: its keywords and genres, and the start of its synopsis."""
    lines = []
    for n, movie in enumerate(films.values()):
        keywords = " ".join(k.name for k in movie.keywords.all())
        genres = " ".join(g.name.lower() for g in movie.genres.all())
        opening = " ".join(movie.synopsis.split()[:9])
        for k, text in enumerate((f"a {genres} movie with {keywords}", opening)):
            answer = {"tmdb_id": None, "imdb_id": movie.imdb_id}
            lines.append(json.dumps({"id": f"q{n}-{k}", "query": text, "answer": answer}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.RECSYS_MODELS_DIR = tmp_path / "models"
    forget_active_fusion()
    yield settings.RECSYS_MODELS_DIR
    forget_active_fusion()


def test_without_a_version_search_fuses_by_z_scores_as_the_zsum_feature_does(films, models_dir):
    config = DEFAULT_CONFIG
    assert active_fusion() is None
    for query in ("a man stranded on an island", "shark attacks swimmers at the beach"):
        result = retrieve(query)
        table, matrix = features(candidates_of(result, config.depth), config.depth)
        order = table.positions[np.argsort(-hand_set(matrix), kind="stable")]
        lists = {s: result.rankings[s] for s in ("dense", "lexical")}
        expected, _ = weighted_zscore(result.full_scores, lists, {})
        assert order.tolist() == expected.tolist() == result.rankings["fused"].tolist()
        assert matrix.shape == (len(table.positions), len(FEATURES))


def test_a_tiny_fusion_learns_and_search_serves_it(films, tmp_path, models_dir, fresh_stamps):
    path = labelled_queries(tmp_path / "q.jsonl", films)
    recipe = Recipe.tiny()
    model = fusion_train(request=FusionRequest(recipe, path), progress=SilentProgress())

    # It learns: on its training queries it beats a trivial ranker (the catalogue's order)
    # and stands level with the hand-set fusion or above it.
    queries, _ = with_answers(load_queries(path))
    fit = collect(splits(queries).fit, recipe.depth, SilentProgress())
    trivial = figures(answer_ranks(fit, lambda m: np.zeros(len(m)), recipe.depth))
    learned = model.metrics["fit"]["learned fusion"]
    assert learned["ndcg@10"] > trivial["ndcg@10"]
    assert learned["ndcg@10"] >= figures(answer_ranks(fit, hand_set, recipe.depth))["ndcg@10"]
    assert not model.is_active and active_fusion() is None

    # Served once active, for queries at least min_query_words long.
    trained_model_activate(model_id=model.pk)
    served = active_fusion()
    assert served is not None and served.version == model.version
    query = "a crew of thieves plans one last bank robbery"
    result = retrieve(query)
    expected, _, _ = served.rank(candidates_of(result, served.depth))
    assert result.rankings["fused"].tolist() == expected.tolist()
    assert set(result.scores["fused"]) == set(expected.tolist())
    hand = retrieve(query, config=replace(DEFAULT_CONFIG, learned_fusion=False))
    assert hand.rankings["fused"].tolist() != expected.tolist()  # it changed something

    # A shorter query than it serves keeps the hand-set fusion.
    served.min_query_words = 50
    result = retrieve(query)
    assert result.rankings["fused"].tolist() == hand.rankings["fused"].tolist()


def test_the_command_trains_a_tiny_version_and_activates_it(films, tmp_path, models_dir):
    path = labelled_queries(tmp_path / "q.jsonl", films)
    call_command("train_fusion", str(path), "--tiny", "--activate")
    model = TrainedModel.objects.get(kind=TrainedModel.Kind.FUSION)
    assert model.is_active and (models_dir / model.path / "model.txt").is_file()
    assert set(model.metrics["held_out"]) == {"hand-set fusion", "learned fusion"}


def test_the_admin_queues_fusion_training_as_a_job_that_registers_a_version(
    films, tmp_path, settings, models_dir, admin_client, django_capture_on_commit_callbacks
):
    url = reverse("admin:recommendations_heavy_action", args=["train-fusion"])
    settings.RECSYS_FUSION_TRAINING_QUERIES = ""
    refused = admin_client.post(url, follow=True).content.decode()
    assert "RECSYS_FUSION_TRAINING_QUERIES" in refused
    path = labelled_queries(tmp_path / "q.jsonl", films)
    settings.RECSYS_FUSION_TRAINING_QUERIES = str(path)
    assert "Start training" in admin_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(url)
    job = Job.objects.get(kind=Job.Kind.TRAIN_FUSION)
    assert job.status == Job.Status.QUEUED and job.params == {"queries": str(path)}

    train_fusion_task(job.pk)  # the task's body, run here

    job.refresh_from_db()
    model = TrainedModel.objects.get(kind=TrainedModel.Kind.FUSION)
    assert job.status == Job.Status.SUCCEEDED and job.result["version"] == model.version
    assert not model.is_active


def test_the_command_compares_on_validation_and_trains_nothing(films, tmp_path, capsys):
    path = labelled_queries(tmp_path / "q.jsonl", films)
    call_command("train_fusion", str(path), "--compare")
    out = capsys.readouterr().out
    assert "hand-set z-score fusion" in out and "logistic, depth 200" in out
    assert "lightgbm, depth 200, 7 leaves, 300 trees" in out
    assert "gate: learned for 1+ words" in out and "gate: learned for 40+ words" in out
    assert not TrainedModel.objects.filter(kind=TrainedModel.Kind.FUSION).exists()


def test_each_gate_compared_keeps_the_hand_set_order_below_it_and_the_learned_one_above(
    films, tmp_path
):
    from recommendations.lab.fusion_training import GATES, compare, fit_lightgbm, lightgbm_scorer

    path = labelled_queries(tmp_path / "q.jsonl", films)
    queries, _ = with_answers(load_queries(path))
    recipe = Recipe.tiny()
    samples = collect(queries, recipe.depth, SilentProgress())
    table = compare(samples, samples, {}, chosen=recipe)

    hand = table["hand-set z-score fusion"]
    assert {f"gate: learned for {g}+ words" for g in GATES} <= set(table)
    longest = max(s.words for s in samples)
    for gate in GATES:
        if gate > longest:  # no query is that long: every one keeps the hand-set order
            assert table[f"gate: learned for {gate}+ words"] == hand
    # Gate 1: the learned order for every query.
    ranker, keep = fit_lightgbm(samples, recipe)
    learned = figures(answer_ranks(samples, lightgbm_scorer(ranker, keep), recipe.depth))
    assert table["gate: learned for 1+ words"] == learned


def test_a_version_chooses_the_hand_set_weights_for_the_queries_it_does_not_serve(
    films, tmp_path, models_dir, fresh_stamps
):
    path = labelled_queries(tmp_path / "q.jsonl", films)
    recipe = Recipe.tiny(min_query_words=8)
    model = fusion_train(request=FusionRequest(recipe, path), progress=SilentProgress())

    # Chosen on validation (the queries' first lines): the best of the pairs tried, recorded
    # in the version's config beside the zsum feature's weights, which stay the pipeline's.
    chosen = model.metrics["short_query_weights"]["chosen"]
    grid = model.metrics["short_query_weights"]["first lines"]
    assert len(grid) == len(SHORT_QUERY_WEIGHTS) and tuple(chosen) in SHORT_QUERY_WEIGHTS
    assert grid[f"{chosen[0]:g}/{chosen[1]:g}"]["ndcg@10"] == max(
        figures["ndcg@10"] for figures in grid.values()
    )
    config = json.loads((models_dir / model.path / "fusion.json").read_text())
    assert config["short_query_weights"] == chosen and config["weights"] == [1.0, 1.0]

    trained_model_activate(model_id=model.pk)
    served = active_fusion()
    assert list(served.short_query_weights) == chosen and served.weights == (1.0, 1.0)

    # A query under the gate: the hand-set fusion at the version's weights (forced far from
    # 1:1 so that they must show), and at the pipeline's without the learned fusion.
    served.short_query_weights = (1.6, 0.4)
    changed = 0
    for query in ("shark attacks swimmers", "a man stranded on an island", "toys come alive"):
        result = retrieve(query)
        lists = {s: result.rankings[s] for s in ("dense", "lexical")}
        expected, _ = weighted_zscore(result.full_scores, lists, {"dense": 1.6, "lexical": 0.4})
        assert result.rankings["fused"].tolist() == expected.tolist()
        even, _ = weighted_zscore(result.full_scores, lists, {})
        off = retrieve(query, config=replace(DEFAULT_CONFIG, learned_fusion=False))
        assert off.rankings["fused"].tolist() == even.tolist()
        changed += expected.tolist() != even.tolist()
    assert changed  # the weights changed some order: the checks above could fail

    # A query it serves: the learned order, its zsum feature still at weight 1.
    query = "a crew of thieves plans one last bank robbery"
    result = retrieve(query)
    assert served.serves(result.parsed)
    expected, _, _ = served.rank(candidates_of(result, served.depth))
    assert result.rankings["fused"].tolist() == expected.tolist()
