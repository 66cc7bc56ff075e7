"""The Keras MiniLM encoder is a faithful conversion of the PyTorch checkpoint."""

import numpy as np
import pytest

from recommendations.embedding import encode
from recommendations.rerank.encoder import (
    CLS_ID,
    SEP_ID,
    encode_pairs,
    mean_pool,
    pretrained_encoder,
    single_sequences,
)

SENTENCES = [
    "A bank heist goes wrong in Los Angeles.",
    "Two robots fall in love on a dying planet, long after the humans have left it. " * 6,
    "x",
    "Überraschung: a café owner in Montréal finds a map!",
]


@pytest.fixture(scope="module")
def encoder():
    return pretrained_encoder()


def test_mean_pooled_embeddings_match_sentence_transformers_to_1e4(encoder):
    batch = single_sequences(SENTENCES, max_tokens=256)
    states = encoder(batch.input_ids, batch.token_type_ids, batch.attention_mask)
    ours = np.array(mean_pool(states, batch.attention_mask))
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)

    reference = encode(SENTENCES)

    assert ours.shape == reference.shape == (4, 384)
    assert np.abs(ours - reference).max() < 1e-4


def test_padding_does_not_change_a_sentence_embedding(encoder):
    alone = single_sequences(SENTENCES[:1])
    padded = single_sequences(SENTENCES[:2])  # the first row is now padded to the second
    one = mean_pool(
        encoder(alone.input_ids, alone.token_type_ids, alone.attention_mask), alone.attention_mask
    )
    two = mean_pool(
        encoder(padded.input_ids, padded.token_type_ids, padded.attention_mask),
        padded.attention_mask,
    )
    assert np.abs(np.asarray(one)[0] - np.asarray(two)[0]).max() < 1e-4


def test_pairs_are_cls_query_sep_doc_sep_with_token_types_and_truncation():
    batch = encode_pairs(
        "where is the treasure",
        ["a pirate hides gold " * 40, "short"],
        max_query_tokens=3,
        max_doc_tokens=10,
        bucket=16,
    )
    ids, types, mask = batch.input_ids, batch.token_type_ids, batch.attention_mask
    assert ids.shape == (2, 16)  # 1 + 3 + 1 + 10 + 1 = 16, bucketed to a multiple of 16
    assert ids[0, 0] == CLS_ID and ids[0, 4] == SEP_ID and ids[0, 15] == SEP_ID
    assert list(types[0]) == [0] * 5 + [1] * 11
    assert mask[1].sum() == 1 + 3 + 1 + 1 + 1  # "short" is one token
    assert ids[1, mask[1].sum() :].tolist() == [0] * (16 - mask[1].sum())
