"""The lab's one split: held-out quarter, then one validation carve shared by every model."""

from dataclasses import dataclass

from recommendations.lab import fusion_training
from recommendations.lab.split import HELD_OUT_FRACTION, split_by_query, training_split


@dataclass(frozen=True)
class Query:
    id: str


QUERIES = [Query(f"q{i}") for i in range(2000)]


def test_the_parts_are_disjoint_and_cover_every_query():
    train, validation = training_split(QUERIES)
    _, held_out = split_by_query(QUERIES, held_out_fraction=HELD_OUT_FRACTION)
    ids = [set(q.id for q in part) for part in (train, validation, held_out)]
    assert sum(len(part) for part in ids) == len(QUERIES)
    assert set().union(*ids) == {q.id for q in QUERIES}
    assert 0.2 < len(held_out) / len(QUERIES) < 0.3  # a quarter
    assert 0.15 < len(validation) / (len(train) + len(validation)) < 0.25  # a fifth of the rest


def test_the_learned_fusion_validates_on_the_retrievers_validation_queries():
    train, validation = training_split(QUERIES)
    parts = fusion_training.splits(QUERIES)
    assert parts.fit == train and parts.validation == validation
    assert parts.held_out == split_by_query(QUERIES, held_out_fraction=HELD_OUT_FRACTION)[1]
