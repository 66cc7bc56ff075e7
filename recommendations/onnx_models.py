"""What the query encoder and the cross-encoder's ONNX runtime share: a torch module written
as an ONNX graph (atomically, so processes racing to export never load half a file), its int8
copy, and an ONNX Runtime session on the CPU."""

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime
    import torch

OPSET = 17


def export_module(
    module: "torch.nn.Module",
    example: tuple,
    path: Path,
    *,
    inputs: dict[str, dict[int, str]],
    output: str,
) -> None:
    """`inputs`: each input's name and its dynamic axes, in forward()'s order; the output's
    first axis is the batch."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    # The tracer warns about shape checks it fixes as constants; every caller checks the
    # exported graph against the original instead.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            example,
            str(partial),
            input_names=list(inputs),
            output_names=[output],
            dynamic_axes={**inputs, output: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, dynamic axes as asked
        )
    os.replace(partial, path)


def quantize_int8(source: Path, path: Path, *, exclude: Sequence[str] = ()) -> None:
    """Writes `source`'s graph with its MatMul weights in int8, per output channel, and
    activations quantized on the fly (ONNX Runtime's dynamic quantization: no calibration
    data, so it works for any exported model). `exclude`: names of MatMuls left in fp32
    (`weight_matmuls`). Atomic like `export_module`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        quantize_dynamic(
            source,
            partial,
            op_types_to_quantize=["MatMul"],  # the transformer's weights; Gather (embeddings) stays
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(exclude),
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def weight_matmuls(path: Path, pattern: str = "") -> list[str]:
    """Names of the graph's MatMuls whose second input is a weight (what `quantize_int8`
    quantizes), in graph order, those whose name matches the regular expression `pattern`
    (searched, as `re.search`) where one is given."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {w.name for w in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and node.input[1] in weights and re.search(pattern, node.name)
    ]


def mean_pool(states: "torch.Tensor", attention_mask: "torch.Tensor") -> "torch.Tensor":
    """The mean of the token states the mask keeps (sentence-transformers' pooling)."""
    weights = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def cpu_session(path: Path, *, threads: int) -> "onnxruntime.InferenceSession":
    """threads: ONNX Runtime's intra-op threads; 0 is one per core. Idle threads sleep
    instead of spinning: a web process runs one small request after another, and a spinning
    pool keeps the cores busy between them (docs/benchmarks.md, "Throughput")."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
