"""Inference for a trained cross-encoder in ONNX Runtime.

Training stays in TensorFlow / Keras. For serving, the trained Keras weights are copied into the
same architecture in PyTorch (transformers' BertModel plus our head: the reverse of
encoder.load_pretrained_into) and exported once per artifact to `model.onnx` beside its Keras
weights. The export is checked against the Keras model on probe pairs before it is used; a
model whose export fails or differs is served by TensorFlow as before. Measured side by side in
`bench/rerank.py` (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommendations.onnx_models import cpu_session, export_module, mean_pool

if TYPE_CHECKING:
    from recommendations.rerank.cross_encoder import CrossEncoderModel

logger = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
# The same graph with int8 weights (dynamic quantisation). "v2": the feed-forward output
# projections stay fp32 (quantize_int8); an artifact's older model.int8.onnx is left unused.
INT8_FILE = "model.int8-v2.onnx"
EXPORT_TOLERANCE = 1e-3  # largest logit difference from Keras, relative to the logits' size
# int8 weights move logits by design; this only catches a broken graph. What they cost in
# ranking is measured on held-out queries (bench/rerank.py --relevance, docs/benchmarks.md):
# a trained 4-layer model moved 0.89 on a logit of 2.1 here (0.28 of 1 + |logit|), and ranked
# 372 held-out queries to within 0.6 % of its Keras nDCG@10.
INT8_TOLERANCE = 0.5


def _bert_state(model: CrossEncoderModel) -> dict[str, np.ndarray]:
    """The Keras encoder's weights under transformers' BertModel names (Keras Dense kernels
    are (in, out); torch Linear weights are (out, in))."""
    from recommendations.rerank.encoder import keras, torch_names

    state: dict[str, np.ndarray] = {}
    for layer, name in torch_names(model.encoder):
        weight, *bias = layer.get_weights()
        is_dense = isinstance(layer, keras.layers.Dense)
        state[f"{name}.weight"] = weight.T if is_dense else weight
        if bias:
            state[f"{name}.bias"] = bias[0]
    return state


def _torch_twin(model: CrossEncoderModel):
    """The same network in PyTorch, with the Keras model's weights."""
    import torch
    from transformers import BertConfig, BertModel

    encoder_config = model.config.encoder
    bert = BertModel(
        BertConfig(
            vocab_size=encoder_config.vocab_size,
            hidden_size=encoder_config.hidden_size,
            num_hidden_layers=encoder_config.num_layers,
            num_attention_heads=encoder_config.num_heads,
            intermediate_size=encoder_config.intermediate_size,
            max_position_embeddings=encoder_config.max_positions,
            type_vocab_size=encoder_config.type_vocab_size,
            layer_norm_eps=encoder_config.layer_norm_eps,
            hidden_act="gelu",  # exact GELU, as the Keras blocks and head use
        ),
        add_pooling_layer=False,
    )
    missing, unexpected = bert.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _bert_state(model).items()},
        strict=False,
    )
    if unexpected or [k for k in missing if not k.endswith("position_ids")]:
        raise ValueError(f"weights do not fit BertModel: {missing} {unexpected}")
    hidden_kernel, hidden_bias = model.hidden.get_weights()
    out_kernel, out_bias = model.out.get_weights()
    prior_weight = float(np.asarray(model.prior_weight.numpy()))

    class Twin(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.hidden = torch.nn.Linear(*hidden_kernel.shape)
            self.out = torch.nn.Linear(*out_kernel.shape)
            with torch.no_grad():
                self.hidden.weight.copy_(torch.from_numpy(hidden_kernel.T.copy()))
                self.hidden.bias.copy_(torch.from_numpy(hidden_bias))
                self.out.weight.copy_(torch.from_numpy(out_kernel.T.copy()))
                self.out.bias.copy_(torch.from_numpy(out_bias))

        def forward(self, input_ids, token_type_ids, attention_mask, prior):
            states = self.bert(
                input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask
            )[0]
            features = torch.cat([states[:, 0], mean_pool(states, attention_mask)], dim=-1)
            hidden = torch.nn.functional.gelu(self.hidden(features))
            return self.out(hidden)[:, 0] + prior_weight * prior

    return Twin().eval()


def export(model: CrossEncoderModel, path: Path) -> None:
    import torch

    twin = _torch_twin(model)
    example = (
        torch.tensor([[101, 2000, 102, 3000, 102]]),
        torch.tensor([[0, 0, 0, 1, 1]]),
        torch.ones((1, 5), dtype=torch.int64),
        torch.zeros(1),
    )
    batch_and_length = {0: "batch", 1: "tokens"}
    export_module(
        twin,
        example,
        path,
        inputs={
            "input_ids": batch_and_length,
            "token_type_ids": batch_and_length,
            "attention_mask": batch_and_length,
            "prior": {0: "batch"},
        },
        output="scores",
    )


class OnnxForward:
    """Callable like the Keras forward: (ids, types, mask, prior) -> scores."""

    def __init__(self, path: Path, *, threads: int = 0) -> None:
        self.runtime = "onnx-int8" if path.name == INT8_FILE else "onnx"
        self.session = cpu_session(path, threads=threads)
        self._lock = threading.Lock()

    def __call__(self, input_ids, token_type_ids, attention_mask, prior) -> np.ndarray:
        feed = {
            "input_ids": np.asarray(input_ids, dtype=np.int64),
            "token_type_ids": np.asarray(token_type_ids, dtype=np.int64),
            "attention_mask": np.asarray(attention_mask, dtype=np.int64),
            "prior": np.asarray(prior, dtype=np.float32),
        }
        with self._lock:
            (scores,) = self.session.run(None, feed)
        return scores


def probe_batch():
    from recommendations.rerank.encoder import encode_pairs

    batch = encode_pairs(
        "a crew of thieves double-cross each other after a casino heist",
        [
            "Ocean's Eleven (2001). Danny Ocean gathers eleven thieves to rob three casinos.",
            "A quiet romance in Paris between a baker and a painter.",
            "Café, naïve, 東京 — a film with odd characters in it.",
        ],
        max_query_tokens=48,
        max_doc_tokens=108,
        bucket=1,
    )
    prior = np.array([0.6, 0.1, -0.2], dtype=np.float32)
    return (batch.input_ids, batch.token_type_ids, batch.attention_mask, prior)


def quantize_int8(source: Path, target: Path) -> None:
    """ONNX Runtime's dynamic quantisation: int8 weights, activations quantised per batch,
    except the feed-forward output projections (ffn_output_matmuls), which stay fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    quantize_dynamic(
        str(source),
        str(partial),
        weight_type=QuantType.QInt8,
        nodes_to_exclude=ffn_output_matmuls(source),
    )
    os.replace(partial, target)


def ffn_output_matmuls(path: Path) -> list[str]:
    """The MatMul of each block's feed-forward output projection. Its input is the GELU of
    the 1,536-wide layer, whose few large values stretch a per-tensor int8 scale over the many
    small ones: quantised, these cost a trained model 1.5 % of its held-out nDCG@10; kept
    fp32, its int8 twin ranks as Keras does, as fast (docs/benchmarks.md)."""
    import onnx

    return [
        node.name
        for node in onnx.load(str(path)).graph.node
        if node.op_type == "MatMul"
        and node.name.endswith("/output/dense/MatMul")
        and "/attention/" not in node.name
    ]


def onnx_forward_for(
    model: CrossEncoderModel, directory: Path, *, threads: int = 0, int8: bool = False
) -> OnnxForward:
    """The artifact's ONNX forward (int8: of its int8-weight twin, made from the fp32 export),
    made on first use (again if the file on disk fails to load or to match), and checked
    against the Keras model each time it is loaded."""
    fp32 = directory / ONNX_FILE
    forward = _forward_from(
        model, fp32, threads, EXPORT_TOLERANCE, make=lambda path: export(model, path)
    )
    if not int8:
        return forward
    return _forward_from(
        model,
        directory / INT8_FILE,
        threads,
        INT8_TOLERANCE,
        make=lambda path: quantize_int8(fp32, path),
    )


def _forward_from(
    model: CrossEncoderModel,
    path: Path,
    threads: int,
    tolerance: float,
    *,
    make: Callable[[Path], None],
) -> OnnxForward:
    if path.is_file():
        try:
            return _checked_forward(model, path, threads, tolerance)
        except Exception:
            logger.warning("making %s again: it failed to load or to match", path, exc_info=True)
    make(path)
    return _checked_forward(model, path, threads, tolerance)


def _checked_forward(
    model: CrossEncoderModel, path: Path, threads: int, tolerance: float
) -> OnnxForward:
    forward = OnnxForward(path, threads=threads)
    probe = probe_batch()
    expected = np.asarray(model(*probe, training=False), dtype=np.float32)
    difference = float(np.abs(forward(*probe) - expected).max())
    if difference > tolerance * (1.0 + float(np.abs(expected).max())):
        path.unlink(missing_ok=True)
        raise ValueError(f"the ONNX graph {path.name} differs from Keras by {difference:.2e}")
    return forward
