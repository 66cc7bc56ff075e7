"""Fusion of the dense and lexical candidate lists."""

import numpy as np

from recommendations.search.fusion import weighted_zscore


def lists_of(**arrays) -> dict[str, np.ndarray]:
    return {name: np.array(positions, dtype=np.int64) for name, positions in arrays.items()}


def test_zscore_fusion_weighs_how_far_ahead_of_its_contenders_a_film_stands():
    rng = np.random.default_rng(0)
    dense = rng.uniform(0.2, 0.4, 60)
    dense[1] = 0.9  # film 1 far ahead in meaning
    lexical = np.zeros(60)
    lexical[:30] = rng.uniform(1.0, 2.0, 30)
    lexical[2], lexical[1] = 10.0, 6.0  # film 2 ahead on words, film 1 second
    lists = lists_of(dense=np.argsort(-dense)[:25], lexical=np.argsort(-lexical)[:25])
    scores = {"dense": dense, "lexical": lexical}
    positions, _ = weighted_zscore(scores, lists, {})
    assert positions.tolist()[0] == 1
    assert set(positions.tolist()) == set(lists["dense"]) | set(lists["lexical"])
    heavy_words, _ = weighted_zscore(scores, lists, {"dense": 0.1})
    assert heavy_words.tolist()[0] == 2


def test_a_lone_word_match_stands_out_even_without_a_vector():
    dense = np.array([0.5, 0.52, 0.48, -np.inf])  # film 3 has no vector yet
    lexical = np.array([0.0, 0.0, 0.0, 7.5])  # ... and is the only film with the words
    lists = lists_of(dense=[1, 0, 2], lexical=[3])
    positions, _ = weighted_zscore({"dense": dense, "lexical": lexical}, lists, {})
    assert positions.tolist()[0] == 3


def test_zscore_fusion_of_no_candidates_is_empty():
    lists = lists_of(dense=[], lexical=[])
    assert weighted_zscore({"dense": np.array([0.1])}, lists, {})[0].tolist() == []
