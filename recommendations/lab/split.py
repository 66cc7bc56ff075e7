"""The held-out split of labelled queries, by query id: a salted SHA-1 of the id, so it is
the same on every machine, for every catalogue and in any order. A query held out is never
trained on; a trained artifact also records the ids it trained on (training.json), which any
evaluation leaves out.

The salt "rerank-split-v1" keeps the held-out quarter of tomt-dev that the published
reranker figures were measured on (docs/benchmarks.md). Another salt splits a set
independently of it (bench/tune.py's tuning half). `training_split` carves the one validation
set every lab model makes its choices on out of the rest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

SPLIT_SALT = "rerank-split-v1"
HELD_OUT_FRACTION = 0.25  # the held-out quarter: scored once per finished model, never chosen on
# The one validation carve of the training part, for every model trained on labelled queries
# (the retriever, the learned fusion): a model stacked on another is validated on queries
# neither trained on. The salt is the one the first fine-tuned retriever was chosen with.
VALIDATION_SALT = "retriever-validation-v1"
VALIDATION_FRACTION = 0.2  # of the training part


class HasId(Protocol):
    id: str


Query = TypeVar("Query", bound=HasId)


def is_held_out(query_id: str, *, fraction: float, salt: str = SPLIT_SALT) -> bool:
    digest = hashlib.sha1(f"{salt}:{query_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000 < fraction


def split_by_query(
    queries: Sequence[Query], *, held_out_fraction: float, salt: str = SPLIT_SALT
) -> tuple[list[Query], list[Query]]:
    """(kept, held out)."""
    picked = [is_held_out(q.id, fraction=held_out_fraction, salt=salt) for q in queries]
    kept = [q for q, out in zip(queries, picked, strict=True) if not out]
    held_out = [q for q, out in zip(queries, picked, strict=True) if out]
    return kept, held_out


def training_split(queries: Sequence[Query]) -> tuple[list[Query], list[Query]]:
    """(queries to train on, validation queries), both from the training part: the held-out
    quarter is dropped here, before anything else sees it."""
    training_part, _held_out = split_by_query(queries, held_out_fraction=HELD_OUT_FRACTION)
    return split_by_query(
        training_part, held_out_fraction=VALIDATION_FRACTION, salt=VALIDATION_SALT
    )
