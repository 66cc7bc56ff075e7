"""Cross-encoder reranking latency on CPU, option by option, side by side.

    .venv/bin/python bench/rerank.py [--model var/models/reranker/<version>] [--queries 30]

Each variant reranks the top 20 dense candidates of the same held-out tomt-dev queries over
TMDB 5000 (interim candidate source, recommendations.rerank.data). Prints p50/p95 per variant,
its ratio to the default (fp32, dynamic shapes), and end-to-end search (query embedding +
exact dense top 100 + rerank top 20). The machine's load average is printed with the figures:
on a shared 2-core box it moves every number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
django.setup()

from recommendations.rerank.cross_encoder import (  # noqa: E402
    CrossEncoderModel,
    CrossEncoderReranker,
    load_model,
    new_model,
)
from recommendations.rerank.data import (  # noqa: E402
    DenseCandidates,
    limit_torch_threads,
    tmdb_films,
    tomt_queries,
)
from recommendations.rerank.evaluation import split_by_query  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
DEPTH = 20


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def measure(reranker: CrossEncoderReranker, work: list, *, repeat: int = 1) -> list[float]:
    reranker.score(*work[0])  # trace / compile outside the timing
    timings = []
    for _ in range(repeat):
        for query, candidates in work:
            started = time.perf_counter()
            reranker.score(query, candidates)
            timings.append(time.perf_counter() - started)
    return timings


def variants(args) -> dict[str, callable]:
    """name -> a function building that reranker."""
    import keras

    def trained(**options) -> CrossEncoderModel:
        if args.model:
            return load_model(args.model, **options)
        return new_model(num_layers=args.layers)

    def with_layers(n: int):
        return lambda: CrossEncoderReranker(new_model(num_layers=n))

    def bf16():
        return CrossEncoderReranker(trained(dtype_policy="mixed_bfloat16"))

    def int8():
        model = trained()
        model.encoder.quantize("int8")
        return CrossEncoderReranker(model)

    def xla():
        return CrossEncoderReranker(trained(), jit_compile=True)

    def onnx(threads: int):
        def build():
            from recommendations.rerank.onnx_runtime import onnx_forward_for

            model = trained()
            export_dir = Path(tempfile.mkdtemp(prefix="rerank-onnx-"))
            forward = onnx_forward_for(model, export_dir, threads=threads)
            return CrossEncoderReranker(model, forward=forward)

        return build

    def onnx_int8():
        """ONNX Runtime's dynamic int8 quantisation of the export: measured, not offered (on
        the tests' tiny model it moved logits by up to 17 % of their range)."""
        from onnxruntime.quantization import QuantType, quantize_dynamic

        from recommendations.rerank.onnx_runtime import ONNX_FILE, OnnxForward, export

        model = trained()
        export_dir = Path(tempfile.mkdtemp(prefix="rerank-onnx-"))
        export(model, export_dir / ONNX_FILE)
        quantize_dynamic(
            str(export_dir / ONNX_FILE), str(export_dir / "int8.onnx"), weight_type=QuantType.QInt8
        )
        return CrossEncoderReranker(model, forward=OnnxForward(export_dir / "int8.onnx"))

    del keras
    return {
        "default (fp32, dynamic shapes)": lambda: CrossEncoderReranker(trained()),
        "ONNX Runtime, 1 thread": onnx(1),
        "ONNX Runtime, a thread per core": onnx(0),
        "ONNX Runtime int8 weights, a thread per core": onnx_int8,
        "XLA jit, bucketed lengths": xla,
        "mixed bfloat16": bf16,
        "int8 weights (keras quantize)": int8,
        "6 layers (full MiniLM)": with_layers(6),
        "2 layers": with_layers(2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="a trained artifact directory")
    parser.add_argument("--layers", type=int, default=4, help="untrained model's layers")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="variant name prefixes")
    args = parser.parse_args()
    limit_torch_threads()  # as the training command does; see its docstring

    films = tmdb_films(DATA / "catalogues" / "tmdb_5000_movies.csv")
    queries, _ = tomt_queries(DATA / "queries" / "tomt-dev.jsonl", films)
    _, held_out = split_by_query(queries, validation_fraction=0.25)
    held_out = held_out[: args.queries]
    dense = DenseCandidates(films, cache_dir=ROOT / "var" / "cache" / "rerank")
    work = [(q.text, dense(q.text, 100)[:DEPTH]) for q in held_out]
    print(f"{len(work)} held-out queries, top {DEPTH} candidates; cpu count {os.cpu_count()}")
    print(f"load average before: {os.getloadavg()}")

    rows, baseline_p50 = [], None
    for name, build in variants(args).items():
        if args.only and not any(name.startswith(p) for p in args.only):
            continue
        try:
            timings = measure(build(), work)
        except Exception as error:  # an option the platform lacks is a row, not a crash
            rows.append((name, None, None, f"failed: {type(error).__name__}: {error}"[:90]))
            continue
        p50, p95 = percentile(timings, 50), percentile(timings, 95)
        baseline_p50 = baseline_p50 or p50
        rows.append((name, p50, p95, f"x{baseline_p50 / p50:.2f} vs default p50"))
        print(f"  {name:34s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  load {os.getloadavg()[0]:.1f}")

    # End to end: query embedding + exact dense top 100 + cross-encoder on the top 20, with
    # the reranker in each runtime search can use (settings.RERANKER_RUNTIME).
    builders = variants(args)
    end_to_end = {
        "tensorflow": builders["default (fp32, dynamic shapes)"],
        "onnx": builders["ONNX Runtime, a thread per core"],
    }
    e2e: dict[str, list[float]] = {}
    for runtime, build in end_to_end.items():
        reranker = build()
        reranker.warm_up()
        for query in held_out:
            started = time.perf_counter()
            candidates = dense(query.text, 100)
            scores = reranker.score(query.text, candidates[:DEPTH])
            sorted(range(DEPTH), key=lambda i: -scores[i])
            e2e.setdefault(runtime, []).append(time.perf_counter() - started)
    print(f"load average after: {os.getloadavg()}")
    print()
    print(f"| variant (rerank top {DEPTH}) | p50 ms | p95 ms | vs default |")
    print("|---|---|---|---|")
    for name, p50, p95, note in rows:
        if p50 is None:
            print(f"| {name} | — | — | {note} |")
        else:
            print(f"| {name} | {p50:.0f} | {p95:.0f} | {note} |")
    for runtime, timings in e2e.items():
        print(
            f"| end to end ({runtime}): embed query + dense top 100 + rerank top {DEPTH} "
            f"| {percentile(timings, 50):.0f} | {percentile(timings, 95):.0f} | budget p95 400 ms |"
        )
    print(f"(median of {statistics.median([len(c) for _, c in work])} candidates a query)")


if __name__ == "__main__":
    main()
