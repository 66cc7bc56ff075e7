"""Dense search with a year filter: Chroma `where` vs the in-memory numpy matrix the pipeline
uses (exact), each next to its unfiltered time, in one run.

    python -m bench.dense_filter tmdb      # or: wikipedia
"""

import statistics
import sys
import time

import numpy as np

from bench.catalogues import setup_django

RUNS = 50


def timed(fn) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(name: str) -> None:
    setup_django(name)
    from recommendations.search.catalogue import Filters, get_snapshot
    from recommendations.search.dense import get_dense_index
    from recommendations.search.fusion import top_positions
    from recommendations.vector_store import get_collection

    snapshot = get_snapshot()
    index = get_dense_index(snapshot)
    collection = get_collection()
    query = index.vectors[len(index.vectors) // 2]
    where = {"$and": [{"year": {"$gte": 1990}}, {"year": {"$lte": 1999}}]}
    mask = snapshot.mask(Filters(year_from=1990, year_to=1999))

    def numpy_search(filtered: bool) -> None:
        scores = index.snapshot_scores(index.scores(query[None, :]), snapshot.size)
        top_positions(scores, 200, mask if filtered else None)

    rows = {
        "chroma, unfiltered": timed(
            lambda: collection.query(query_embeddings=[query], n_results=200)
        ),
        "chroma, where year 1990-99": timed(
            lambda: collection.query(query_embeddings=[query], n_results=200, where=where)
        ),
        "numpy exact, unfiltered": timed(lambda: numpy_search(False)),
        "numpy exact, year 1990-99": timed(lambda: numpy_search(True)),
    }
    print(f"{name}: {len(index.ids)} vectors, top 200, median of {RUNS} (ms)")
    for label, ms in rows.items():
        print(f"  {label:30}{ms:8.2f}")
    assert np.isfinite(list(rows.values())).all()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tmdb")
