"""Query encoding: sentence-transformers on torch (one thread, as the web encoded before) next
to the ONNX Runtime export (recommendations/query_encoder.py) in fp32 and in int8, on the same
queries in one run, interleaved so that all see the same machine.

    python -m bench.query_encoder

Queries: the search bench's (first lines of tomt-dev posts, moods, titles) split into chunks as
search splits them. Reports p50 / p95 per query (wall, and the thread's CPU time: the fair
figure on a shared machine), the largest difference between fp32's vectors and torch's, and
int8's cosine to torch's.
"""

import time

import numpy as np

from bench.catalogues import setup_django
from bench.search import MOODS, percentile, queries


def main() -> None:
    setup_django("tmdb")
    from recommendations import query_encoder
    from recommendations.embedding import encode
    from recommendations.search.query import parse_query

    encoders = {
        "torch": lambda chunks: encode(list(chunks)),
        "onnx": query_encoder._load("fp32", threads=1).encode,
        "int8": query_encoder._load("int8", threads=1).encode,
    }
    sample = [parse_query(q).chunks for q in queries(MOODS)]
    for chunks in sample[:5]:
        for run in encoders.values():
            run(chunks)

    wall: dict[str, list[float]] = {name: [] for name in encoders}
    cpu: dict[str, list[float]] = {name: [] for name in encoders}
    difference, cosines = 0.0, []
    for chunks in sample:
        vectors = {}
        for name, run in encoders.items():
            started, thread = time.perf_counter(), time.thread_time()
            vectors[name] = run(chunks)
            cpu[name].append((time.thread_time() - thread) * 1000)
            wall[name].append((time.perf_counter() - started) * 1000)
        difference = max(difference, float(np.abs(vectors["onnx"] - vectors["torch"]).max()))
        cosines.extend((vectors["int8"] * vectors["torch"]).sum(axis=1))

    print(
        f"{len(sample)} queries; onnx's largest vector difference from torch {difference:.1e}; "
        f"int8's cosine to torch mean {np.mean(cosines):.4f}, min {np.min(cosines):.4f}"
    )
    for name in encoders:
        print(
            f"{name:>6}: wall p50 {percentile(wall[name], 50):6.2f} ms, p95 "
            f"{percentile(wall[name], 95):6.2f} ms; CPU p50 {percentile(cpu[name], 50):6.2f} ms, "
            f"p95 {percentile(cpu[name], 95):6.2f} ms"
        )
    for a, b in (("torch", "onnx"), ("onnx", "int8")):
        ratios = [percentile(cpu[a], q) / percentile(cpu[b], q) for q in (50, 95)]
        print(f"CPU {a} / {b}: p50 {ratios[0]:.1f}x, p95 {ratios[1]:.1f}x")


if __name__ == "__main__":
    main()
