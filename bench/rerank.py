"""Cross-encoder reranking on CPU, option by option, side by side.

    python -m bench.catalogues tmdb
    python -m bench.rerank [--model <artifact dir>] [--queries 30] [--only default ONNX]
                                     [--relevance | --int8-options]

Every variant reranks the same candidates: the search pipeline's fused top 20 for held-out
tomt-dev queries over the TMDB 5000 bench catalogue (`var/bench/tmdb`), the lists search hands
the cross-encoder. Without --model, an untrained model of the default recipe's shape (time does
not depend on the weights). Prints p50/p95 per variant and its ratio to the default (TensorFlow
fp32), then end to end: the whole search pipeline (`run_pipeline`: query encoder, BM25, dense,
fusion, the 20 films' texts from the database, the cross-encoder), once per runtime search can
use. --relevance (with --model) also scores every held-out query with each runtime, for
nDCG@10 side by side at rerank depths 20 and 30: what a faster runtime costs in ranking, and
what reordering deeper buys. --int8-options (with --model) instead compares ways of making the
int8 graph, each timed on the same candidates and scored on every held-out query (depth 20).
The load average is printed with the figures: on a shared 2-core box it moves every number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench.catalogues import SHARED_DATA, setup_django  # noqa: E402

setup_django("tmdb")

import numpy as np  # noqa: E402

from recommendations.lab.metrics import RankingMetrics, rank_of  # noqa: E402
from recommendations.lab.queries import load_queries, with_answers  # noqa: E402
from recommendations.lab.reranker_data import (  # noqa: E402
    RetrievedCandidates,
    db_films,
    limit_torch_threads,
)
from recommendations.lab.reranker_evaluation import rerank_order  # noqa: E402
from recommendations.lab.reranker_training import Recipe, new_model  # noqa: E402
from recommendations.lab.split import HELD_OUT_FRACTION, split_by_query  # noqa: E402
from recommendations.rerank.cross_encoder import (  # noqa: E402
    CrossEncoderModel,
    CrossEncoderReranker,
    load_model,
)

DEPTH = 20
RELEVANCE_DEPTHS = (20, 30)  # --relevance: reorder the fused top 20, and the top 30


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def measure(reranker: CrossEncoderReranker, work: list) -> list[float]:
    reranker.score(*work[0])  # trace outside the timing
    timings = []
    for query, candidates in work:
        started = time.perf_counter()
        reranker.score(query, candidates)
        timings.append(time.perf_counter() - started)
    return timings


def variants(args) -> dict[str, Callable[[], CrossEncoderReranker]]:
    """name -> a function building that reranker."""
    recipe = Recipe()

    def trained(num_layers: int | None = None) -> CrossEncoderModel:
        if args.model and num_layers is None:
            return load_model(args.model)
        return new_model(
            num_layers=num_layers or recipe.num_layers,
            max_query_tokens=recipe.max_query_tokens,
            max_doc_tokens=recipe.max_doc_tokens,
            prior="fused",
            prior_scale=1.0,
        )

    def onnx(threads: int = 0, *, int8: bool = False):
        def build() -> CrossEncoderReranker:
            from recommendations.rerank.onnx_runtime import onnx_forward_for

            model = trained()
            export_dir = Path(tempfile.mkdtemp(prefix="rerank-onnx-"))
            forward = onnx_forward_for(model, export_dir, threads=threads, int8=int8)
            return CrossEncoderReranker(model, forward=forward)

        return build

    return {
        "default: TensorFlow fp32": lambda: CrossEncoderReranker(trained()),
        "ONNX Runtime fp32": onnx(),
        "ONNX Runtime fp32, 1 thread": onnx(1),
        "ONNX Runtime int8 weights": onnx(int8=True),
        "TensorFlow, 2 layers (untrained)": lambda: CrossEncoderReranker(trained(2)),
        "TensorFlow, 4 layers (untrained)": lambda: CrossEncoderReranker(trained(4)),
    }


RUNTIMES = {  # what settings.RECSYS_RERANKER_RUNTIME can name -> its variant here
    "tensorflow": "default: TensorFlow fp32",
    "onnx": "ONNX Runtime fp32",
    "onnx-int8": "ONNX Runtime int8 weights",
}


def end_to_end(reranker: CrossEncoderReranker, queries: list[str]) -> list[float]:
    """The whole search pipeline with this reranker as the active one."""
    import recommendations.search.pipeline as pipeline

    active = pipeline.active_reranker
    pipeline.active_reranker = lambda: reranker
    try:
        pipeline.run_pipeline(queries[0])  # warm: snapshot, indexes, graph
        timings = []
        for query in queries:
            started = time.perf_counter()
            pipeline.run_pipeline(query)
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        pipeline.active_reranker = active


def relevance(reranker: CrossEncoderReranker, pools: list) -> dict[int, dict[str, float]]:
    """Metrics per rerank depth. A pair's score does not depend on the other candidates, so
    one scoring of the deepest head serves every depth."""
    ranks: dict[int, list[int | None]] = {depth: [] for depth in RELEVANCE_DEPTHS}
    for answer, query, candidates in pools:
        scores = reranker.score(query, candidates[: max(RELEVANCE_DEPTHS)])
        for depth, found in ranks.items():
            found.append(rank_of(answer, rerank_order(candidates, scores[:depth], depth)))
    return {depth: RankingMetrics(found).summary() for depth, found in ranks.items()}


def int8_options(model_dir: Path) -> dict[str, Callable[[], CrossEncoderReranker]]:
    """name -> a reranker on that int8 graph of the model's fp32 export (onnx_runtime)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from recommendations.rerank.onnx_runtime import (
        ONNX_FILE,
        OnnxForward,
        ffn_output_matmuls,
        onnx_forward_for,
    )

    model = load_model(model_dir)
    export_dir = Path(tempfile.mkdtemp(prefix="rerank-int8-"))
    onnx_forward_for(model, export_dir)
    fp32 = export_dir / ONNX_FILE

    def last_block(path: Path) -> list[str]:
        import onnx

        last = f"layer.{model.config.encoder.num_layers - 1}/"
        return [n.name for n in onnx.load(str(path)).graph.node if last in n.name]

    options = {
        "every MatMul, per tensor (v1)": {},
        "every MatMul, per channel": {"per_channel": True},
        "last block fp32": {"nodes_to_exclude": last_block(fp32)},
        "feed-forward output fp32 (v2, the default)": {
            "nodes_to_exclude": ffn_output_matmuls(fp32)
        },
    }

    def build(index: int, name: str) -> CrossEncoderReranker:
        path = export_dir / f"int8-option-{index}.onnx"
        quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, **options[name])
        return CrossEncoderReranker(model, forward=OnnxForward(path))

    return {"TensorFlow fp32": lambda: CrossEncoderReranker(model)} | {
        name: (lambda i=i, name=name: build(i, name)) for i, name in enumerate(options)
    }


def compare_int8_options(model_dir: Path, work: list, pools: list) -> None:
    print(f"| int8 graph (rerank top {DEPTH}) | p50 ms | p95 ms | nDCG@10 | ratio |")
    print("|---|---|---|---|---|")
    fused = RankingMetrics([rank_of(a, [c.movie_id for c in cs]) for a, _, cs in pools]).ndcg()
    for name, build in int8_options(model_dir).items():
        reranker = build()
        timings = measure(reranker, work)
        ndcg = relevance(reranker, pools)[DEPTH]["ndcg@10"]
        print(
            f"| {name} | {percentile(timings, 50):.0f} | {percentile(timings, 95):.0f} "
            f"| {ndcg:.4f} | {ndcg / fused:.3f} |",
            flush=True,
        )
    print(f"(fused, no reranker: nDCG@10 {fused:.4f}; load average {os.getloadavg()})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="a trained artifact directory")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--only", nargs="*", help="variant name prefixes")
    parser.add_argument("--relevance", action="store_true", help="nDCG@10 per runtime")
    parser.add_argument("--int8-options", action="store_true", help="int8 graphs compared")
    args = parser.parse_args()
    limit_torch_threads()  # as the training command does; see its docstring

    films = db_films()
    queries, _ = with_answers(load_queries(SHARED_DATA / "queries" / "tomt-dev.jsonl"))
    _, held_out = split_by_query(queries, held_out_fraction=HELD_OUT_FRACTION)
    if args.model:
        from recommendations.rerank.cross_encoder import training_query_ids

        seen = training_query_ids(args.model)
        held_out = [q for q in held_out if q.id not in seen]
    candidates_for = RetrievedCandidates(films)
    pools = [(q.movie_id, q.text, candidates_for(q.text, 100)) for q in held_out]
    work = [(query, candidates[:DEPTH]) for _, query, candidates in pools[: args.queries]]
    print(f"{len(work)} held-out queries, top {DEPTH} fused candidates; cpu {os.cpu_count()}")
    print(f"load average before: {os.getloadavg()}")
    if args.int8_options and args.model:
        compare_int8_options(args.model, work, pools)
        return

    builders = variants(args)
    rows = []
    baseline_p50 = None
    for name, build in builders.items():
        if args.only and not any(name.startswith(p) for p in args.only):
            continue
        try:
            timings = measure(build(), work)
        except Exception as error:  # an option the platform lacks is a row, not a crash
            rows.append((name, None, None, f"failed: {type(error).__name__}: {error}"[:90]))
            continue
        p50, p95 = percentile(timings, 50), percentile(timings, 95)
        baseline_p50 = baseline_p50 or p50
        rows.append((name, p50, p95, f"x{baseline_p50 / p50:.2f}"))
        print(f"  {name:44s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  load {os.getloadavg()[0]:.1f}")

    e2e, ranking = {}, {}
    for runtime, name in RUNTIMES.items():
        try:
            reranker = builders[name]()
        except Exception as error:  # e.g. an int8 graph that fails its check against Keras
            print(f"  {runtime}: not measured: {type(error).__name__}: {error}")
            continue
        e2e[runtime] = end_to_end(reranker, [query for query, _ in work])
        if args.relevance and args.model:
            ranking[runtime] = relevance(reranker, pools)
    print(f"load average after: {os.getloadavg()}")
    print()
    print(f"| variant (rerank top {DEPTH}) | p50 ms | p95 ms | vs default p50 |")
    print("|---|---|---|---|")
    for name, p50, p95, note in rows:
        if p50 is None:
            print(f"| {name} | — | — | {note} |")
        else:
            print(f"| {name} | {p50:.0f} | {p95:.0f} | {note} |")
    for runtime, timings in e2e.items():
        print(
            f"| end to end, search pipeline + {runtime} reranker "
            f"| {percentile(timings, 50):.0f} | {percentile(timings, 95):.0f} | budget p95 400 |"
        )
    median = statistics.median([len(c) for _, c in work])
    print(f"(median {median} candidates a query)")
    if ranking:
        print()
        baseline = RankingMetrics(
            [rank_of(answer, [c.movie_id for c in candidates]) for answer, _, candidates in pools]
        ).summary()
        print(f"| runtime ({len(pools)} held-out queries) | depth | nDCG@10 | ratio | MRR@10 |")
        print("|---|---|---|---|---|")
        fused_figures = f"{baseline['ndcg@10']:.4f} | 1 | {baseline['mrr@10']:.4f}"
        print(f"| fused, no reranker | — | {fused_figures} |")
        for runtime, by_depth in ranking.items():
            for depth, figures in by_depth.items():
                ratio = figures["ndcg@10"] / baseline["ndcg@10"]
                print(
                    f"| {runtime} | {depth} | {figures['ndcg@10']:.4f} | {ratio:.3f} "
                    f"| {figures['mrr@10']:.4f} |"
                )


if __name__ == "__main__":
    main()
