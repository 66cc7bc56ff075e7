"""What the query encoder and the cross-encoder's ONNX runtime share: a torch module written
as an ONNX graph (atomically, so processes racing to export never load half a file), its int8
copy, and an ONNX Runtime session on the CPU."""

import os
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

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


def quantize_int8_per_token(
    source: Path, path: Path, *, exclude: Sequence[str] = (), signed_weights: bool = False
) -> None:
    """Writes `source`'s graph with each weight MatMul (but those named in `exclude`) as int8
    x int8, its activations quantized per token (row) as each run goes instead of with one
    scale for the whole run as `quantize_int8`'s: a token with a few large values no longer
    coarsens every other token's. A row's scale is its largest |value| / 127 and every row
    shares the zero point 128, so ONNX's MatMulInteger (one zero point for its first input)
    runs it and the row scales multiply its int32 result afterwards, with the weights' own
    (symmetric 8-bit levels, one scale per output column). A text's vector depends on its own
    tokens only, as in fp32, so a batch gives each text what it gets alone. Atomic like
    `export_module`.

    `signed_weights`: the levels stored as int8 (ONNX Runtime's u8 x s8 kernel, VNNI's, about
    twice as fast) rather than as uint8 around 128 (its u8 x u8 kernel, exact on every CPU);
    the products, hence the vectors, are the same wherever `signed_products_are_exact()`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    left = set(exclude)
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(1e-8, dtype=np.float32), "per_token_eps"),
            numpy_helper.from_array(np.array(127.0, dtype=np.float32), "per_token_127"),
            numpy_helper.from_array(np.array(1.0, dtype=np.float32), "per_token_one"),
            numpy_helper.from_array(np.array(128, dtype=np.uint8), "per_token_zero_point"),
        ]
    )
    weight_type = np.int8 if signed_weights else np.uint8
    quantized: dict[str, tuple[str, str]] = {}  # activation: (its uint8 rows, their scales)
    replacement: dict[str, list] = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights or node.name in left:
            continue
        x, w_name, out = node.input[0], node.input[1], node.output[0]
        made = []
        if x not in quantized:  # once per activation: Q, K and V read the same one
            made += [
                helper.make_node("Abs", [x], [f"{x}_abs"]),
                helper.make_node("ReduceMax", [f"{x}_abs"], [f"{x}_peak"], axes=[-1], keepdims=1),
                helper.make_node("Max", [f"{x}_peak", "per_token_eps"], [f"{x}_peak_safe"]),
                helper.make_node("Div", [f"{x}_peak_safe", "per_token_127"], [f"{x}_scale"]),
                helper.make_node("Div", [x, f"{x}_scale"], [f"{x}_scaled"]),
                helper.make_node(
                    "QuantizeLinear",
                    [f"{x}_scaled", "per_token_one", "per_token_zero_point"],
                    [f"{x}_uint8"],
                ),
            ]
            quantized[x] = (f"{x}_uint8", f"{x}_scale")
        rows, row_scales = quantized[x]
        w = numpy_helper.to_array(weights[w_name]).astype(np.float32)
        column_scales = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127
        levels = np.clip(np.rint(w / column_scales), -127, 127)
        stored, zero = (levels, 0) if signed_weights else (levels + 128, 128)
        graph.initializer.extend(
            [
                numpy_helper.from_array(stored.astype(weight_type), f"{w_name}_int8"),
                numpy_helper.from_array(
                    np.full(w.shape[1], zero, weight_type), f"{w_name}_zero_point"
                ),
                numpy_helper.from_array(column_scales.astype(np.float32), f"{w_name}_scale"),
            ]
        )
        made += [
            helper.make_node(
                "MatMulInteger",
                [rows, f"{w_name}_int8", "per_token_zero_point", f"{w_name}_zero_point"],
                [f"{out}_int32"],
            ),
            helper.make_node("Cast", [f"{out}_int32"], [f"{out}_float"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{out}_float", row_scales], [f"{out}_by_row"]),
            helper.make_node("Mul", [f"{out}_by_row", f"{w_name}_scale"], [out]),
        ]
        replacement[node.name] = made
    nodes = [new for node in graph.node for new in replacement.get(node.name, [node])]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [w for w in graph.initializer if w.name in used]  # the fp32 weights replaced
    del graph.initializer[:]
    graph.initializer.extend(kept)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        onnx.save(model, str(partial))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


@lru_cache(maxsize=1)
def signed_products_are_exact() -> bool:
    """Whether ONNX Runtime's u8 x s8 MatMulInteger kernel is exact on this CPU at the extreme
    codes. Without VNNI (AVX2 alone) it adds pairs of products in int16 and saturates without a
    word; with VNNI (AVX-512 or AVX VNNI) it accumulates in int32, exact, at about twice the
    speed of the u8 x u8 kernel that is exact everywhere. Asked of the kernel itself, once a
    process, rather than read from CPU flags: the kernel ONNX Runtime picks is what counts."""
    from onnx import TensorProto, helper, numpy_helper

    depth = 384  # a layer's width: deep enough for the packed kernels a real layer runs on
    activations = np.full((4, depth), 255, np.uint8)
    activations[1::2] = 0  # rows at both ends of the scale, around the zero point 128
    weights = np.full((depth, 8), 127, np.int8)
    weights[:, 1::2] = -127
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "a_zero"], ["y"])],
        "signed_probe",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, ["rows", depth])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, ["rows", 8])],
        initializer=[
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array(128, np.uint8), "a_zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    session = cpu_session(model.SerializeToString(), threads=1)
    (served,) = session.run(None, {"a": activations})
    expected = (activations.astype(np.int64) - 128) @ weights.astype(np.int64)
    return bool(np.array_equal(served, expected))


def resolved_precision(chosen: str) -> str:
    """An encoder precision setting's value with `auto` resolved on this CPU: int8 per token
    where the u8 x s8 kernel is exact and fast (VNNI), fp32 where it is not (there int8 would
    cost ranking and save nothing; docs/benchmarks.md, "int8 per token as the default")."""
    if chosen != "auto":
        return chosen
    return "int8-per-token" if signed_products_are_exact() else "fp32"


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


def cpu_session(
    path: Path | bytes,
    *,
    threads: int,
    initializers: dict[str, "onnxruntime.OrtValue"] | None = None,
) -> "onnxruntime.InferenceSession":
    """A session of the model at `path` (or serialized: bytes). threads: ONNX Runtime's
    intra-op threads; 0 is one per core. Idle threads sleep instead of spinning: a web process
    runs one small request after another, and a spinning pool keeps the cores busy between them
    (docs/benchmarks.md, "Throughput"). initializers: the values of the model's initializers
    declared as external data, by name (memory the caller holds, not copied)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if initializers:
        options.add_external_initializers(list(initializers), list(initializers.values()))
    model = path if isinstance(path, bytes) else str(path)
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
