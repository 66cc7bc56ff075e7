"""Query encoding: sentence-transformers on torch (one thread, as the web encoded before) next
to the ONNX Runtime export (recommendations/query_encoder.py), on the same queries in one run,
interleaved so that both see the same machine.

    python -m bench.query_encoder

Queries: the search bench's (first lines of tomt-dev posts, moods, titles) split into chunks as
search splits them. Reports p50 / p95 per query and the largest difference between vectors.
"""

import time

import numpy as np

from bench.catalogues import setup_django
from bench.search import MOODS, percentile, queries


def main() -> None:
    setup_django("tmdb")
    from recommendations.embedding import encode
    from recommendations.query_encoder import get_query_encoder
    from recommendations.search.query import parse_query

    encoder = get_query_encoder()
    assert encoder is not None, "the ONNX query encoder did not load"
    sample = [parse_query(q).chunks for q in queries(MOODS)]
    for chunks in sample[:5]:
        encode(list(chunks)), encoder.encode(chunks)

    timings: dict[str, list[float]] = {"torch": [], "onnx": []}
    difference = 0.0
    for chunks in sample:
        started = time.perf_counter()
        reference = encode(list(chunks))
        timings["torch"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vectors = encoder.encode(chunks)
        timings["onnx"].append((time.perf_counter() - started) * 1000)
        difference = max(difference, float(np.abs(vectors - reference).max()))

    print(f"{len(sample)} queries, largest vector difference {difference:.1e}")
    for name, values in timings.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{name:>6}: p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    for q in (50, 95):
        ratio = percentile(timings["torch"], q) / percentile(timings["onnx"], q)
        print(f"p{q} torch / onnx = {ratio:.1f}x")


if __name__ == "__main__":
    main()
