"""A result's rank in each stage (PipelineResult.rank_of), read from an array per stage."""

import numpy as np

from recommendations.search.pipeline import PipelineResult


def _result(rankings: dict[str, np.ndarray]) -> PipelineResult:
    return PipelineResult(
        parsed=None, filters=None, snapshot=None, rankings=rankings, scores={}, final=None
    )


def test_ranks_are_each_positions_place_in_the_stage_from_one_and_none_where_absent():
    rng = np.random.default_rng(3)
    dense = rng.permutation(500)[:120]
    result = _result({"dense": dense, "lexical": np.array([7, 2]), "fused": np.array([], int)})
    expected = {int(p): r for r, p in enumerate(dense, start=1)}

    for position in range(-2, 520):
        assert result.rank_of("dense", position) == expected.get(position)
    assert result.rank_of("lexical", 2) == 2 and result.rank_of("lexical", 7) == 1
    assert result.rank_of("lexical", 0) is None and result.rank_of("lexical", 8) is None
    assert result.rank_of("fused", 0) is None
    assert isinstance(result.rank_of("dense", int(dense[0])), int)
