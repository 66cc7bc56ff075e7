"""CPU per query of variants of the ONNX query encoder's graph, in isolation, over distinct
tomt-dev first lines (the queries of bench/cpu_per_search.py), each encoded alone on one
thread as a web process runs them, and each variant's vectors against the fp32 export's.

    .venv/bin/python -m bench.catalogues tmdb        # once: the fp32 export is made there
    .venv/bin/python -m bench.encoder_variants [--queries 300] [--rounds 3]
        [--variants fp32 int8 ...] [--exclude REGEX ...] [--folder DIR] [--speed-only]

Variants (written to a temporary folder, never used by the site):
- fp32: the export the site runs (recommendations/query_encoder.py);
- int8: `onnx_models.quantize_int8` (RECSYS_QUERY_ENCODER_PRECISION=int8): dynamic, every
  weight MatMul, int8 weights per output channel, uint8 activations with one scale a run;
- int8-tensor / int8-reduce / int8-u8w: the same with one weight scale per tensor, with 7-bit
  weights (`reduce_range`), with uint8 weights;
- int8-no-<part>: dynamic int8 with one part's MatMuls left in fp32 (`nodes_to_exclude`):
  qkv (attention's query, key, value), attn-out (attention's output projection), ffn-in,
  ffn-out (the feed-forward block's two), first / last (every MatMul of layer 0 / layer 5);
  --exclude REGEX adds a variant leaving the MatMuls whose names match REGEX in fp32;
- static-minmax / static-percentile: static QDQ quantization (int8 weights per channel, uint8
  activations with fixed scales) calibrated on the bundled catalogue's text (data/
  catalogue.jsonl: synopses, titles with taglines, synopses' first words), never on queries;
- smooth-0.5 / smooth-0.75: SmoothQuant (alpha 0.5 or 0.75) before dynamic int8: each weight
  MatMul's input scaled down channel by channel and its weights' rows up, by scales from the
  activations' peaks on the same catalogue text (`smoothed`);
- token: `onnx_models.quantize_int8_per_token` (RECSYS_QUERY_ENCODER_PRECISION=int8-per-token):
  int8 x int8 with one activation scale per token instead of per run; token-no-ffn-out: the
  same with the feed-forward output MatMuls in fp32; token-smooth-A: SmoothQuant (alpha A)
  first, then per token;
- fused: ONNX Runtime's transformer optimizer (BERT fusions: SkipLayerNorm, BiasGelu);
- nbits8 / nbits4: every weight MatMul as MatMulNBits (weights in 8 or 4 bits per block of 32,
  activations quantized per block: accuracy_level 4), to test whether finer activation
  scales than dynamic int8's one per run keep fp32's vectors at int8's speed.

CPU: the variants' sessions are timed in turn, round after round (so that a change in the
machine's load falls on all of them), and each variant's least mean over the rounds is kept.
Cosine to the fp32 export's vectors on three sets of texts: the timed first lines; the chunks
of the validation split's tomt-dev queries, each query's chunks in one run as search encodes
them (`manage.py evaluate --split validation`'s queries: what a choice may be made on); and
film texts of the TMDB catalogue (every 16th film, `embedding.film_text`).
Before and after figures: docs/benchmarks.md, "Throughput (issue 20)".
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.catalogues import SHARED_DATA, setup_django

CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "catalogue.jsonl"


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


def dynamic(source: Path, path: Path, **options) -> None:
    """ONNX Runtime's dynamic quantization of the weight MatMuls, as `quantize_int8` with
    `options` changed (per_channel, reduce_range, weight_type)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    settings = {"per_channel": True, "weight_type": QuantType.QInt8, **options}
    quantize_dynamic(source, path, op_types_to_quantize=["MatMul"], **settings)


def calibration_texts(limit: int = 600) -> list[str]:
    """Catalogue text for static calibration: the bundled catalogue's synopses, titles with
    taglines, and the synopses' first 12 words (query-length runs), never a query."""
    records = [json.loads(line) for line in CATALOGUE.read_text().splitlines() if line.strip()]
    texts = []
    for record in records:
        synopsis = record.get("synopsis", "")
        texts += [synopsis, f"{record['title']}. {record.get('tagline', '')}".strip()]
        texts.append(" ".join(synopsis.split()[:12]))
    return [t for t in texts if t][:limit]


def static(source: Path, path: Path, tokenizer, *, method: str) -> None:
    """Static QDQ quantization of the weight MatMuls: int8 weights per channel, uint8
    activations with scales fixed by calibration on catalogue text (`calibration_texts`)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter(feed_of(tokenizer, text) for text in calibration_texts())

        def get_next(self) -> dict | None:
            return next(self._feeds, None)

    extra = {"MatMulConstBOnly": True}
    if method == "Percentile":
        extra["CalibPercentile"] = 99.999
    quantize_static(
        source,
        path,
        Reader(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=getattr(CalibrationMethod, method),
        extra_options=extra,
    )


def smoothed(source: Path, path: Path, tokenizer, *, alpha: float, then=None) -> None:
    """SmoothQuant before dynamic int8: each weight MatMul's input divided, channel by
    channel, by s = peak(|x|)^alpha / peak(|w|)^(1 - alpha) (an fp32 Mul before the MatMuls
    that read it) and the weights' rows multiplied by s, so that the few input channels with
    large values no longer stretch the one int8 scale a run gives the whole activation.
    The same product in exact arithmetic; the peaks are measured on catalogue text
    (`calibration_texts`), never on queries."""
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper

    from recommendations.onnx_models import quantize_int8

    model = onnx.load(str(source))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            consumers.setdefault(node.input[0], []).append(node)
    activations = list(consumers)

    probe = onnx.load(str(source))
    for name in activations:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(
        probe.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    peaks: dict[str, np.ndarray] = {}
    for text in calibration_texts():
        outputs = session.run(activations, feed_of(tokenizer, text))
        for name, x in zip(activations, outputs, strict=True):
            peak = np.abs(x).reshape(-1, x.shape[-1]).max(axis=0)
            peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak

    first_use: dict[str, str] = {}
    for name, nodes in consumers.items():
        rows = np.max(
            [np.abs(numpy_helper.to_array(weights[n.input[1]])).max(axis=1) for n in nodes], axis=0
        )
        scale = np.power(np.maximum(peaks[name], 1e-5), alpha) / np.power(
            np.maximum(rows, 1e-5), 1 - alpha
        )
        scale = scale.astype(np.float32)
        for node in nodes:
            w = numpy_helper.to_array(weights[node.input[1]]) * scale[:, None]
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(w, node.input[1]))
            node.input[0] = f"{name}_smoothed"
        inverse = numpy_helper.from_array((1 / scale).astype(np.float32), f"{name}_inverse_scale")
        graph.initializer.append(inverse)
        first_use[nodes[0].name] = name
    ordered = []
    for node in graph.node:
        if node.name in first_use:
            name = first_use[node.name]
            ordered.append(
                helper.make_node(
                    "Mul", [name, f"{name}_inverse_scale"], [f"{name}_smoothed"], f"{name}_smooth"
                )
            )
        ordered.append(node)
    del graph.node[:]
    graph.node.extend(ordered)
    smooth = path.with_name(f"{path.stem}-smooth.onnx")
    onnx.save(model, str(smooth))
    if then is None:
        quantize_int8(smooth, path)
    else:
        then(smooth, path)


def excluding(source: Path, path: Path, pattern: str) -> None:
    from recommendations.onnx_models import quantize_int8, weight_matmuls

    left = weight_matmuls(source, pattern)
    if not left:
        raise SystemExit(f"no weight MatMul matches {pattern!r}")
    print(f"  {len(left)} MatMuls left in fp32 ({pattern})", flush=True)
    quantize_int8(source, path, exclude=left)


def feed_of(tokenizer, text: str) -> dict:
    encoding = tokenizer.encode_batch([text])[0]
    return {
        "input_ids": np.array([encoding.ids], dtype=np.int64),
        "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
    }


def timed(encoders: dict, feeds: list[dict], rounds: int) -> dict[str, float]:
    """Least mean CPU ms a query over `rounds` passes of each encoder, the encoders taking
    turns within each round."""
    for encoder in encoders.values():
        for feed in feeds[:20]:
            encoder._session.run(None, feed)
    best = dict.fromkeys(encoders, float("inf"))
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started = time.process_time()
            for feed in feeds:
                encoder._session.run(None, feed)
            best[name] = min(best[name], (time.process_time() - started) / len(feeds) * 1000)
    return best


def validation_chunks() -> list[tuple[str, ...]]:
    """Each validation query's chunks, as search encodes them (one run a query)."""
    from recommendations.lab.search_evaluation import in_split, load_queries
    from recommendations.search.query import parse_query

    queries = in_split(load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl"), "validation")
    return [chunks for q in queries if (chunks := parse_query(q.text).chunks)]


def catalogue_texts(step: int = 16) -> list[str]:
    from movies.models import Movie
    from recommendations.embedding import film_texts

    ids = list(Movie.objects.order_by("pk").values_list("pk", flat=True)[::step])
    return list(film_texts(ids).values())


VARIANTS = (
    "fp32",
    "int8",
    "int8-tensor",
    "int8-reduce",
    "int8-u8w",
    "int8-no-qkv",
    "int8-no-attn-out",
    "int8-no-ffn-in",
    "int8-no-ffn-out",
    "int8-no-first",
    "int8-no-last",
    "static-minmax",
    "static-percentile",
    "smooth-0.5",
    "smooth-0.75",
    "token",
    "token-no-ffn-out",
    "token-smooth-0.5",
    "token-smooth-0.75",
    "token-smooth-0.3",
    "fused",
    "nbits8",
    "nbits4",
)
# The MatMuls each int8-no-<part> variant leaves in fp32 (names as the torch exporter writes
# them: /transformer/encoder/layer.N/...).
PARTS = {
    "qkv": r"/attention/self/(query|key|value)/",
    "attn-out": r"/attention/output/dense/",
    "ffn-in": r"/intermediate/dense/",
    "ffn-out": r"layer\.\d+/output/dense/",
    "first": r"/layer\.0/",
    "last": r"/layer\.5/",
}


def maker(name: str, source: Path, tokenizer) -> Callable[[Path], None] | None:
    from onnxruntime.quantization import QuantType

    from recommendations.onnx_models import quantize_int8, quantize_int8_per_token, weight_matmuls

    if name == "fp32":
        return None
    if name.startswith("int8-no-"):
        return lambda path: excluding(source, path, PARTS[name.removeprefix("int8-no-")])
    if name.startswith("int8-x:"):
        return lambda path: excluding(source, path, name.removeprefix("int8-x:"))
    makers: dict[str, Callable[[Path], None]] = {
        "int8": lambda path: quantize_int8(source, path),
        "int8-tensor": lambda path: dynamic(source, path, per_channel=False),
        "int8-reduce": lambda path: dynamic(source, path, reduce_range=True),
        "int8-u8w": lambda path: dynamic(source, path, weight_type=QuantType.QUInt8),
        "static-minmax": lambda path: static(source, path, tokenizer, method="MinMax"),
        "static-percentile": lambda path: static(source, path, tokenizer, method="Percentile"),
        "smooth-0.5": lambda path: smoothed(source, path, tokenizer, alpha=0.5),
        "smooth-0.75": lambda path: smoothed(source, path, tokenizer, alpha=0.75),
        "token": lambda path: quantize_int8_per_token(source, path),
        "token-no-ffn-out": lambda path: quantize_int8_per_token(
            source, path, exclude=weight_matmuls(source, PARTS["ffn-out"])
        ),
        "token-smooth-0.5": lambda path: smoothed(
            source, path, tokenizer, alpha=0.5, then=quantize_int8_per_token
        ),
        "token-smooth-0.75": lambda path: smoothed(
            source, path, tokenizer, alpha=0.75, then=quantize_int8_per_token
        ),
        "token-smooth-0.3": lambda path: smoothed(
            source, path, tokenizer, alpha=0.3, then=quantize_int8_per_token
        ),
        "fused": lambda path: fused(source, path),
        "nbits8": lambda path: nbits(source, path, bits=8),
        "nbits4": lambda path: nbits(source, path, bits=4),
    }
    return makers[name]


def cosines(vectors: np.ndarray, reference: np.ndarray) -> str:
    cosine = (vectors * reference).sum(axis=1)
    return f"{cosine.mean():>8.4f}{cosine.min():>8.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--exclude", nargs="+", default=[], metavar="REGEX")
    parser.add_argument(
        "--folder",
        type=Path,
        help="keep the variants' files here, and use those a run before made (a timing run "
        "under a lock need not make them)",
    )
    parser.add_argument("--speed-only", action="store_true", help="no cosines")
    args = parser.parse_args()
    setup_django("tmdb")
    from bench.cpu_per_search import tomt_first_lines
    from recommendations.onnx_models import cpu_session
    from recommendations.query_encoder import QueryEncoder, _tokenizer, get_query_encoder, onnx_path

    get_query_encoder()  # the fp32 export, made if this catalogue has none yet
    tokenizer = _tokenizer()
    queries = tomt_first_lines(args.queries)
    feeds = [feed_of(tokenizer, q) for q in queries]
    lengths = [int(f["attention_mask"].sum()) for f in feeds]
    chunks = validation_chunks()
    films = catalogue_texts()
    print(
        f"{len(queries)} queries, tokens mean {statistics.fmean(lengths):.1f}, "
        f"p50 {statistics.median(lengths):.0f}, max {max(lengths)}; "
        f"{len(chunks)} validation queries ({sum(map(len, chunks))} chunks); "
        f"{len(films)} film texts",
        flush=True,
    )
    source = onnx_path()
    names = ["fp32", *[v for v in args.variants if v != "fp32"]]
    names += [f"int8-x:{pattern}" for pattern in args.exclude]
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        encoders = {}
        for name in names:
            make = maker(name, source, tokenizer)
            path = source if make is None else folder / f"{name.replace('/', '_')}.onnx"
            if make is not None and not path.is_file():
                started = time.perf_counter()
                make(path)
                print(f"{name}: made in {time.perf_counter() - started:.0f} s", flush=True)
            encoders[name] = QueryEncoder(tokenizer, cpu_session(path, threads=1))
        vectors = {
            name: (
                np.vstack([e.encode([q]) for q in queries]),
                np.vstack([e.encode(list(group)) for group in chunks]),
                np.vstack([e.encode([text]) for text in films]),
            )
            for name, e in encoders.items()
            if not args.speed_only
        }
        cpu = timed(encoders, feeds, args.rounds)
    if args.speed_only:
        print(f"{'variant':28}{'CPU ms/query':>13}")
        for name, figure in cpu.items():
            print(f"{name:28}{figure:>13.2f}")
        return
    print(
        f"{'variant':28}{'CPU ms/query':>13}{'lines mean':>11}{'min':>8}"
        f"{'chunks mean':>12}{'min':>8}{'films mean':>11}{'min':>8}"
    )
    reference = vectors["fp32"]
    for name, encoded in vectors.items():
        figures = "".join(cosines(v, r) for v, r in zip(encoded, reference, strict=True))
        print(f"{name:28}{cpu[name]:>13.2f}{figures}")


if __name__ == "__main__":
    main()
