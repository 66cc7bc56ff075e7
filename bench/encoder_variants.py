"""CPU per query of variants of the ONNX query encoder's graph, in isolation, over distinct
tomt-dev first lines (the queries of bench/cpu_per_search.py), each encoded alone on one
thread as a web process runs them, and each variant's vectors against the fp32 export's.

    .venv/bin/python -m bench.catalogues tmdb        # once: the fp32 export is made there
    .venv/bin/python -m bench.encoder_variants [--queries 300]

Variants (written to a temporary folder, never used by the site):
- fp32: the export the site runs (recommendations/query_encoder.py);
- int8: `onnx_models.quantize_int8` (RECSYS_QUERY_ENCODER_PRECISION=int8);
- fused: ONNX Runtime's transformer optimizer (BERT fusions: SkipLayerNorm, BiasGelu);
- nbits8 / nbits4: every weight MatMul as MatMulNBits (weights in 8 or 4 bits per block of 32,
  activations quantized per block: accuracy_level 4), to test whether finer activation
  scales than dynamic int8's one per run keep fp32's vectors at int8's speed.
Before and after figures: docs/benchmarks.md, "Throughput (issue 20)".
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.catalogues import setup_django


def nbits(source: Path, path: Path, *, bits: int, block: int = 32) -> None:
    """`source` with each MatMul whose weights are a constant written as MatMulNBits:
    symmetric per-block weights (zero point 2^(bits-1)), int8 compute (accuracy_level 4)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    nodes = []
    for node in graph.node:
        constant = node.op_type == "MatMul" and node.input[1] in weights
        w = numpy_helper.to_array(weights[node.input[1]]) if constant else None
        if w is None or w.ndim != 2:
            nodes.append(node)
            continue
        k, n = w.shape
        blocks = -(-k // block)
        rows = np.pad(w.T.astype(np.float32), ((0, 0), (0, blocks * block - k)))
        rows = rows.reshape(n, blocks, block)
        top = 2 ** (bits - 1) - 1
        scales = np.abs(rows).max(axis=2) / top
        scales[scales == 0] = 1.0
        q = np.clip(np.rint(rows / scales[..., None]), -top - 1, top) + 2 ** (bits - 1)
        q = q.astype(np.uint8)
        if bits == 4:
            q = q[..., 0::2] | (q[..., 1::2] << 4)
        name = node.input[1]
        packed = numpy_helper.from_array(q.reshape(n, blocks, -1), f"{name}_q")
        scale = numpy_helper.from_array(scales.astype(np.float32).reshape(-1), f"{name}_s")
        graph.initializer.extend([packed, scale])
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [node.input[0], packed.name, scale.name],
                list(node.output),
                domain="com.microsoft",
                K=k,
                N=n,
                bits=bits,
                block_size=block,
                accuracy_level=4,
            )
        )
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [w for w in graph.initializer if w.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(path))


def fused(source: Path, path: Path) -> None:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(
        str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    model.save_model_to_file(str(path))


def timed(encoder, feeds: list[dict], rounds: int = 2) -> tuple[float, np.ndarray]:
    """Least mean CPU ms a query over `rounds` passes, and the vectors."""
    for feed in feeds[:20]:
        encoder._session.run(None, feed)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        vectors = np.concatenate([encoder._session.run(None, feed)[0] for feed in feeds])
        best = min(best, (time.process_time() - started) / len(feeds) * 1000)
    return best, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    setup_django("tmdb")
    from bench.cpu_per_search import tomt_first_lines
    from recommendations.onnx_models import cpu_session, quantize_int8
    from recommendations.query_encoder import QueryEncoder, _tokenizer, get_query_encoder, onnx_path

    get_query_encoder()  # the fp32 export, made if this catalogue has none yet
    tokenizer = _tokenizer()
    queries = tomt_first_lines(args.queries)
    encodings = [tokenizer.encode_batch([q])[0] for q in queries]
    lengths = [len(e.ids) for e in encodings]
    print(
        f"{len(queries)} queries, tokens mean {statistics.fmean(lengths):.1f}, "
        f"p50 {statistics.median(lengths):.0f}, max {max(lengths)}"
    )
    feeds = [
        {
            "input_ids": np.array([e.ids], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask], dtype=np.int64),
        }
        for e in encodings
    ]
    source = onnx_path()
    with tempfile.TemporaryDirectory() as folder:
        variants: dict[str, Callable[[Path], None] | None] = {
            "fp32": None,
            "int8": lambda path: quantize_int8(source, path),
            "fused": lambda path: fused(source, path),
            "nbits8": lambda path: nbits(source, path, bits=8),
            "nbits4": lambda path: nbits(source, path, bits=4),
        }
        reference = None
        print(f"{'variant':10}{'CPU ms/query':>14}{'cosine mean':>13}{'min':>8}")
        for name, make in variants.items():
            path = source if make is None else Path(folder) / f"{name}.onnx"
            if make is not None:
                make(path)
            encoder = QueryEncoder(tokenizer, cpu_session(path, threads=1))
            cpu, vectors = timed(encoder, feeds)
            reference = vectors if reference is None else reference
            cosine = (vectors * reference).sum(axis=1)
            print(f"{name:10}{cpu:>14.2f}{cosine.mean():>13.4f}{cosine.min():>8.4f}")


if __name__ == "__main__":
    main()
