"""The trainable cross-encoder reranker (TensorFlow / Keras 3).

It reads the query and a film's text together, [CLS] query [SEP] film [SEP], through the
MiniLM encoder (recommendations.rerank.encoder), and a head on the [CLS] and mean-pooled
states gives a relevance logit. The first-stage dense cosine (query vector . film vector) is
added with a learned weight: the head's last layer starts at zero, so an untrained model ranks
exactly as dense retrieval does and training learns what to change.

Artifacts (one directory per version under settings.RECSYS_MODELS_DIR/reranker/, written by
recommendations.lab.reranker_training):
    config.json        model and tokenization settings (CrossEncoderConfig)
    model.weights.h5   Keras weights
    metrics.json       validation figures from training
    training.json      the data hash and the ids of the queries it trained on and was
                       validated on
    gate.json          the query lengths it serves (recommendations.rerank.gate)
    serving.json       the rerank depth and token lengths it serves at (rerank/cost.py)
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from recommendations.rerank.base import Candidate
from recommendations.rerank.cost import AS_TRAINED, ServingCost, Setting, load_cost
from recommendations.rerank.encoder import (
    Batch,
    BertEncoder,
    EncoderConfig,
    encode_pairs,
    keras,
    mean_pool,
    ops,
)
from recommendations.rerank.gate import UNGATED, RerankGate, load_gate

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
METRICS_FILE = "metrics.json"
TRAINING_FILE = "training.json"


@dataclass(frozen=True)
class CrossEncoderConfig:
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    max_query_tokens: int = 48
    max_doc_tokens: int = 108
    bucket: int = 16  # pad lengths to a multiple of this: few shapes, little padding
    use_dense_prior: bool = True  # add a first-stage score with a learned weight (the prior)
    # Which score: "dense", the query . film cosine; "fused", the search pipeline's fused score
    # of the candidate (the list the model reorders also carries BM25, which "dense" ignores).
    prior: str = "dense"
    prior_scale: float = 20.0  # initial weight of the prior

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> CrossEncoderConfig:
        raw = dict(raw)
        raw["encoder"] = EncoderConfig(**raw.get("encoder", {}))
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})


class CrossEncoderModel(keras.Model):
    def __init__(self, config: CrossEncoderConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        hidden = config.encoder.hidden_size
        self.encoder = BertEncoder(config.encoder, name="encoder")
        self.hidden = keras.layers.Dense(hidden, activation="gelu", name="head_hidden")
        self.dropout = keras.layers.Dropout(config.encoder.dropout)
        self.out = keras.layers.Dense(1, kernel_initializer="zeros", name="head_out")
        self.prior_weight = self.add_weight(
            name="prior_weight",
            shape=(),
            initializer=keras.initializers.Constant(
                config.prior_scale if config.use_dense_prior else 0.0
            ),
            trainable=config.use_dense_prior,
        )

    def call(self, input_ids, token_type_ids, attention_mask, prior, training=False):
        states = self.encoder(input_ids, token_type_ids, attention_mask, training=training)
        features = ops.concatenate([states[:, 0], mean_pool(states, attention_mask)], axis=-1)
        logit = self.out(self.dropout(self.hidden(features), training=training))[:, 0]
        return ops.cast(logit, "float32") + self.prior_weight * ops.cast(prior, "float32")

    def build_for_inputs(self) -> None:
        ids = np.zeros((1, 4), dtype="int32")
        self(ids, ids, np.ones_like(ids), np.zeros((1,), dtype="float32"))

    def head_variables(self) -> list:
        return [*self.hidden.trainable_variables, *self.out.trainable_variables] + (
            [self.prior_weight] if self.config.use_dense_prior else []
        )


def load_model(directory: Path, *, dtype_policy: str | None = None) -> CrossEncoderModel:
    config = CrossEncoderConfig.from_dict(json.loads((directory / CONFIG_FILE).read_text()))
    model = CrossEncoderModel(config, dtype=dtype_policy) if dtype_policy else None
    model = model or CrossEncoderModel(config)
    model.build_for_inputs()
    model.load_weights(str(directory / WEIGHTS_FILE))
    return model


def training_query_ids(directory: Path) -> set[str]:
    """Ids of the queries a model trained on or chose its gate on (rerank/gate.py): evaluation
    must leave them out."""
    path = directory / TRAINING_FILE
    if not path.exists():
        return set()
    recorded = json.loads(path.read_text())
    return set(recorded.get("train_query_ids", [])) | set(recorded.get("validation_query_ids", []))


class CrossEncoderReranker:
    """The rerank stage (recommendations.rerank.base.Reranker): every candidate in one batch."""

    name = "cross-encoder"

    def __init__(
        self,
        model: CrossEncoderModel,
        *,
        version: str = "",
        jit_compile: bool = False,
        forward=None,
    ):
        """`forward`, when given, replaces the Keras forward pass (onnx_runtime.OnnxForward)."""
        import tensorflow as tf

        self.model = model
        self.config = model.config
        self.version = version
        self.runtime = "tensorflow" if forward is None else getattr(forward, "runtime", "onnx")
        self.training_query_ids: frozenset[str] = frozenset()  # evaluation leaves them out
        self.gate: RerankGate = UNGATED  # which queries it serves (rerank/gate.py)
        self.cost: ServingCost = AS_TRAINED  # the serving cost its version chose (rerank/cost.py)
        # What it reads and reorders: as trained, until serve_at() cuts it
        self.max_query_tokens = self.config.max_query_tokens
        self.max_doc_tokens = self.config.max_doc_tokens
        self.depth: int | None = None  # None: the pipeline's rerank depth
        self._lock = threading.Lock()
        if forward is not None:
            self._forward = forward
            return

        def forward(ids, types, mask, prior):
            return model(ids, types, mask, prior, training=False)

        if jit_compile:  # XLA wants static shapes: one graph per padded length (bucketed)
            self._forward = tf.function(forward, jit_compile=True)
        else:  # dynamic batch and length: traced once
            spec = tf.TensorSpec([None, None], tf.int32)
            prior_spec = tf.TensorSpec([None], tf.float32)
            self._forward = tf.function(forward, input_signature=[spec, spec, spec, prior_spec])

    def serve_at(self, setting: Setting | None) -> None:
        """Read and reorder only as much as `setting` says (never more than it trained
        with); None: as trained, at the pipeline's depth."""
        query_tokens, doc_tokens = self.config.max_query_tokens, self.config.max_doc_tokens
        self.max_query_tokens = min(setting.query_tokens, query_tokens) if setting else query_tokens
        self.max_doc_tokens = min(setting.doc_tokens, doc_tokens) if setting else doc_tokens
        self.depth = setting.depth if setting else None

    def rerank_depth(self, default: int) -> int:
        """How many fused candidates to reorder: its serving setting's depth, at most the
        pipeline's."""
        return default if self.depth is None else min(self.depth, default)

    def serves_at(self) -> str:
        """What it reads and reorders, for `evaluate` and the logs."""
        if self.depth is None:
            state = "its full setting" if self.cost.recorded else "as trained"
            return f"{state}: {self.max_doc_tokens} film / {self.max_query_tokens} query tokens"
        return Setting(self.depth, self.max_doc_tokens, self.max_query_tokens).label

    @classmethod
    def from_directory(
        cls,
        directory: Path,
        *,
        version: str = "",
        runtime: str = "tensorflow",
        cost: str = "chosen",
        **options,
    ) -> CrossEncoderReranker:
        """runtime "tensorflow": the Keras model; "onnx": ONNX Runtime inference of its export
        (made on first use); "onnx-int8": the same with int8 weights. If the export fails, the
        Keras model serves, logged. cost "chosen": it serves at the setting its version chose
        (serving.json; as trained without one); "full": as trained."""
        dtype_policy = options.pop("dtype_policy", None)
        threads = options.pop("threads", 0)
        model = load_model(directory, dtype_policy=dtype_policy)
        forward = None
        if runtime in ("onnx", "onnx-int8"):
            from recommendations.rerank.onnx_runtime import onnx_forward_for

            try:
                forward = onnx_forward_for(
                    model, directory, threads=threads, int8=runtime == "onnx-int8"
                )
            except Exception:
                logger.exception("ONNX inference unavailable for %s; using TensorFlow", directory)
        reranker = cls(model, version=version, forward=forward, **options)
        reranker.training_query_ids = frozenset(training_query_ids(directory))
        reranker.gate = load_gate(directory)
        reranker.cost = load_cost(directory)
        if cost == "chosen":
            reranker.serve_at(reranker.cost.chosen)
        return reranker

    def prior(self, query: str, candidates: list[Candidate]) -> np.ndarray:
        """The first-stage score the model adds to its logit, per candidate."""
        if not self.config.use_dense_prior:
            return np.zeros(len(candidates), dtype=np.float32)
        if self.config.prior == "fused":
            fused = [c.stage_scores.get("fused", 0.0) for c in candidates]
            return np.asarray(fused, dtype=np.float32)
        from recommendations.embedding import encode
        from recommendations.search.dense import encode_query, live_model

        model = live_model()  # the model of the index vectors the candidates carry
        query_vector = encode_query((query,), model)[0]  # the ONNX query encoder search uses
        missing = [i for i, c in enumerate(candidates) if c.vector is None]
        doc_vectors = [c.vector for c in candidates]
        if missing:  # the pipeline should pass index vectors; embedding films here is slow
            texts = [candidates[i].text for i in missing]
            for i, vector in zip(missing, encode(texts, model=model), strict=True):
                doc_vectors[i] = vector
        return (np.stack(doc_vectors) @ query_vector).astype(np.float32)

    def encode(self, query: str, docs: list[str], *, doc_ids=None) -> Batch:
        """The pairs it scores, cut to the tokens it reads."""
        return encode_pairs(
            query,
            docs,
            max_query_tokens=self.max_query_tokens,
            max_doc_tokens=self.max_doc_tokens,
            bucket=self.config.bucket,
            doc_ids=doc_ids,
        )

    def score_pairs(
        self,
        query: str,
        docs: list[str],
        prior: np.ndarray,
        *,
        doc_ids: list[list[int]] | None = None,
    ) -> np.ndarray:
        batch = self.encode(query, docs, doc_ids=doc_ids)
        with self._lock:  # one batch at a time: TF already uses every core for one
            scores = self._forward(
                batch.input_ids, batch.token_type_ids, batch.attention_mask, prior
            )
        return np.asarray(scores, dtype=np.float32)

    def score(self, query: str, candidates: list[Candidate]) -> list[float]:
        if not candidates:
            return []
        prior = self.prior(query, candidates)
        return self.score_pairs(query, [c.text for c in candidates], prior).tolist()

    def warm_up(self) -> None:
        """Trace the graph once so that the first real query does not pay for it."""
        self.score_pairs("warm up", ["warm up"], np.zeros(1, dtype=np.float32))
