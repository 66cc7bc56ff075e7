"""The cross-encoder's gate: it serves only the query lengths where it beat the stage before
it on validation queries, and steps aside elsewhere (rerank/gate.py, lab/reranker_gate.py).
Tiny models trained here: one over a first stage it can improve on (it serves), one over a
first stage that already ranks every answer first (it cannot help: it steps aside)."""

import hashlib
import json
import random

from recommendations.lab.reranker_gate import gated_ranks, validation_gate
from recommendations.lab.reranker_training import Recipe, train_reranker
from recommendations.lab.split import training_split
from recommendations.rerank.cross_encoder import CrossEncoderReranker
from recommendations.rerank.gate import GATE_FILE, UNGATED, RerankGate, load_gate, write_gate
from tests.recommendations.rerank.conftest import ExactDenseCandidates


def test_a_band_is_served_only_where_validation_shows_a_lift_on_enough_queries():
    # Bands: 1-12, 13-39, 40-89, 90+ words. Ranks before and after the cross-encoder.
    words = [20, 20, 20, 20, 50, 50, 50, 50, 100, 100]
    before = [3, 3, 1, None, 1, 2, 1, 5, 5, 5]
    after = [1, 1, 2, None, 2, 2, 1, 5, 1, 1]

    gate = validation_gate(words, before, after, min_queries=3)

    by_band = {band.label: band for band in gate.bands}
    assert by_band["13-39 words"].serves  # better on 4 queries
    assert by_band["13-39 words"].lift > 1
    assert not by_band["40-89 words"].serves  # worse
    assert by_band["40-89 words"].lift < 1
    assert not by_band["90+ words"].serves  # better, but on 2 queries only
    assert not by_band["1-12 words"].serves and by_band["1-12 words"].queries == 0
    assert gate.serves(25) and not gate.serves(5) and not gate.serves(60)
    assert gate.serves(39) and not gate.serves(40)
    assert gate.describe() == "13-39 words"


def test_a_lift_of_exactly_one_is_not_a_lift():
    gate = validation_gate([20] * 5, [2] * 5, [2] * 5, min_queries=1)
    assert not gate.serves_any
    assert "steps aside" in gate.describe()


def test_gated_ranks_take_the_reranked_rank_only_where_it_serves():
    gate = validation_gate([20] * 3 + [50] * 3, [3] * 3 + [1] * 3, [1] * 3 + [4] * 3, min_queries=1)
    assert gated_ranks(gate, [20, 50, 5], [3, 1, 7], [1, 4, 2]) == [1, 1, 7]


def test_a_version_without_a_gate_file_serves_every_query(tmp_path):
    assert load_gate(tmp_path) is UNGATED
    assert UNGATED.serves(1) and UNGATED.serves(500) and UNGATED.serves_any
    gate = validation_gate([20] * 3, [2] * 3, [1] * 3, min_queries=1)
    write_gate(tmp_path, gate)
    assert load_gate(tmp_path) == gate
    assert RerankGate.from_dict(gate.to_dict()) == gate


class ShuffledCandidates(ExactDenseCandidates):
    """A weak first stage: the exact-cosine top k in an order shuffled per query, so the right
    film is usually not first. A cross-encoder can learn to do better."""

    def __call__(self, query, k):
        found = super().__call__(query, k)
        seed = int(hashlib.sha1(query.encode()).hexdigest()[:8], 16)
        random.Random(seed).shuffle(found)
        return found


class AnswerFirstCandidates(ExactDenseCandidates):
    """A first stage that cannot be beaten: every labelled query's right film first, then the
    exact-cosine order. No reranking can lift it."""

    def __init__(self, films, answers: dict[str, int]):
        super().__init__(films)
        self.answers = answers

    def __call__(self, query, k):
        found = super().__call__(query, k + 1)
        answer = self.answers.get(query)
        first = [c for c in found if c.movie_id == answer]
        return (first + [c for c in found if c.movie_id != answer])[:k]


def tiny_recipe() -> Recipe:
    return Recipe.tiny(use_dense_prior=False, synthetic_queries=8, max_train_queries=30)


def test_over_a_weak_first_stage_it_serves_the_lengths_it_helps(films, labelled_queries, tmp_path):
    result = train_reranker(
        films=films,
        queries=labelled_queries,
        candidates_for=ShuffledCandidates(films),
        recipe=tiny_recipe(),
        output_root=tmp_path,
        version="helps",
    )

    gate = load_gate(result.directory)
    short = next(band for band in gate.bands if band.label == "1-12 words")
    assert short.queries >= 3 and short.after > short.before, short
    assert short.serves and gate.serves(8)
    assert not gate.serves(20)  # no validation query that long: it did not show it helps
    assert result.metrics["gate"] == gate.to_dict()
    served = result.metrics["held_out"]["cross-encoder, gated"]
    assert served == result.metrics["held_out"]["cross-encoder"]  # every tiny query is short
    assert CrossEncoderReranker.from_directory(result.directory).gate == gate


def test_over_a_first_stage_it_cannot_improve_on_it_steps_aside(films, labelled_queries, tmp_path):
    answers = {q.text: q.movie_id for q in labelled_queries}
    result = train_reranker(
        films=films,
        queries=labelled_queries,
        candidates_for=AnswerFirstCandidates(films, answers),
        recipe=tiny_recipe(),
        output_root=tmp_path,
        version="cannot-help",
    )

    gate = load_gate(result.directory)
    assert not gate.serves_any, gate
    held_out = result.metrics["held_out"]
    # Stepping aside, search keeps the stage before it: the served figures are its figures.
    assert held_out["cross-encoder, gated"] == held_out["baseline"]
    assert held_out["gated ndcg@10 ratio"] == 1.0


def test_the_gate_is_chosen_on_validation_queries_it_did_not_train_on(trained, labelled_queries):
    recorded = json.loads((trained.directory / "training.json").read_text())
    _, validation = training_split(labelled_queries)
    assert set(recorded["validation_query_ids"]) <= {q.id for q in validation}
    assert set(recorded["validation_query_ids"]).isdisjoint(recorded["train_query_ids"])
    assert set(recorded["validation_query_ids"]).isdisjoint(recorded["held_out_query_ids"])
    assert (trained.directory / GATE_FILE).is_file()
    counted = sum(band["queries"] for band in trained.metrics["gate"]["bands"])
    assert (
        counted
        == len(recorded["validation_query_ids"])
        == trained.metrics["validation"]["baseline"]["queries"]
    )
