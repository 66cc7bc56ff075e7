"""A cross-encoder version's serving cost: chosen on its validation queries when it trains
(the cheapest rerank depth and token lengths whose nDCG@10 is within the margin of the full
setting's), stored with it, and used when it serves; a version without one serves as before
(rerank/cost.py, lab/reranker_cost.py)."""

from dataclasses import asdict, replace

import pytest

from recommendations.lab.reranker import recipe_of
from recommendations.lab.reranker_cost import choose, padded_tokens, setting_grid
from recommendations.lab.reranker_training import Recipe, train_reranker
from recommendations.rerank.cost import (
    AS_TRAINED,
    COST_FILE,
    ScoredSetting,
    ServingCost,
    Setting,
    load_cost,
    write_cost,
)
from recommendations.rerank.cross_encoder import CrossEncoderReranker

FULL = Setting(20, 108, 96)


def scored(depth, doc, query, ndcg, tokens) -> ScoredSetting:
    return ScoredSetting(Setting(depth, doc, query), ndcg, tokens)


def test_the_cheapest_setting_within_the_margin_of_the_full_one_is_chosen():
    settings = [
        scored(20, 108, 96, 0.380, 4160),  # full
        scored(15, 108, 96, 0.379, 3120),  # within 0.002
        scored(10, 108, 96, 0.370, 2080),  # cheaper, but too far below
        scored(15, 64, 96, 0.3785, 2400),  # within, the cheapest such
        scored(20, 48, 64, 0.381, 2400),  # as cheap and better: wins the tie
    ]
    assert choose(settings, FULL, 0.002) == Setting(20, 48, 64)
    assert choose(settings, FULL, 0.0) == Setting(20, 48, 64)  # better than full counts
    assert choose(settings[:4], FULL, 0.0) == FULL  # nothing cheaper is as good
    assert choose(settings[:4], FULL, 0.01) == Setting(10, 108, 96)


def test_the_grid_never_reads_more_than_the_version_trained_with():
    grid = setting_grid(Setting(15, 80, 96), (20, 15, 10), (108, 80, 48), (96, 64))
    assert Setting(15, 80, 96) in grid
    assert all(s.depth <= 15 and s.doc_tokens <= 80 for s in grid)
    assert len(grid) == 2 * 2 * 2


def test_tokens_are_counted_as_served_padded_to_the_bucket():
    assert padded_tokens([20, 35, 17], 16) == 3 * 48
    assert padded_tokens([], 16) == 0


def test_a_version_without_a_serving_cost_serves_as_trained(trained, tmp_path):
    assert load_cost(tmp_path) is AS_TRAINED and not AS_TRAINED.recorded
    cost = ServingCost(Setting(5, 16, 24), Setting(10, 40, 24), 0.002, (scored(5, 16, 24, 0.5, 9),))
    write_cost(tmp_path, cost)
    assert load_cost(tmp_path) == cost
    assert ServingCost.from_dict(cost.to_dict()) == cost
    assert recipe_of(asdict(Recipe.tiny())) == Recipe.tiny()


def test_a_trained_version_records_the_setting_it_chose_on_validation(trained):
    cost = load_cost(trained.directory)
    assert cost.recorded
    assert trained.metrics["serving_cost"] == cost.to_dict()
    recipe = Recipe.tiny()
    assert cost.full == Setting(recipe.rerank_depth, recipe.max_doc_tokens, recipe.max_query_tokens)
    by_setting = {s.setting: s for s in cost.scored}
    assert set(by_setting) == {Setting(d, t, 24) for d in (10, 5) for t in (40, 16)}
    # The full setting's figure is the validation run's own (the same model and candidates)
    validation = trained.metrics["validation"]["cross-encoder"]["ndcg@10"]
    assert by_setting[cost.full].ndcg == pytest.approx(validation, abs=1e-3)
    # Fewer candidates or film tokens cost fewer tokens
    assert by_setting[Setting(5, 40, 24)].tokens < by_setting[cost.full].tokens
    assert by_setting[Setting(10, 16, 24)].tokens < by_setting[cost.full].tokens
    chosen = by_setting[cost.chosen]
    assert chosen.ndcg >= by_setting[cost.full].ndcg - cost.margin
    fits = [s for s in cost.scored if s.ndcg >= by_setting[cost.full].ndcg - cost.margin]
    assert chosen.tokens == min(s.tokens for s in fits)


def test_a_generous_margin_serves_the_cheapest_setting_and_serving_reads_it(
    films, labelled_queries, candidates, tmp_path
):
    result = train_reranker(
        films=films,
        queries=labelled_queries,
        candidates_for=candidates,
        recipe=replace(Recipe.tiny(use_dense_prior=False, synthetic_queries=8), cost_margin=1.0),
        output_root=tmp_path,
        version="cheap",
    )
    assert load_cost(result.directory).chosen == Setting(5, 16, 24)

    served = CrossEncoderReranker.from_directory(result.directory)
    full = CrossEncoderReranker.from_directory(result.directory, cost="full")
    assert served.rerank_depth(20) == 5 and full.rerank_depth(20) == 20
    text = films[0].text
    assert served.encode(text, [text]).attention_mask.sum() <= 24 + 16 + 3
    assert full.encode(text, [text]).attention_mask.sum() > 24 + 16 + 3
    assert "top 5, 16 film" in served.serves_at()

    (result.directory / COST_FILE).unlink()  # a version from before: as it served then
    before = CrossEncoderReranker.from_directory(result.directory)
    assert before.rerank_depth(20) == 20 and before.max_doc_tokens == 40
    assert before.serves_at().startswith("as trained")


@pytest.mark.django_db
def test_rechoosing_names_what_it_needs(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--rechoose needs --queries"):
        call_command("train_reranker", "--rechoose", "20261205-141320")
    queries = tmp_path / "queries.jsonl"
    queries.write_text("")
    with pytest.raises(CommandError, match="no reranker version 'nope' in this install"):
        call_command("train_reranker", "--rechoose", "nope", "--queries", str(queries))
