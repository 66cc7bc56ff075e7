"""Recall@50 of Chroma's HNSW index against exact (numpy brute-force) cosine search.

Corpus: the film vectors of a bench catalogue (`python -m bench.catalogues NAME`, built first
if missing: TMDB 5000 by default, or the 36k Wikipedia films), read from its index as search
reads them; queries: real TOMT known-item queries (people describing a film they forgot),
encoded by the project's model. Compares Chroma's default HNSW settings with ours
(recommendations.vector_store).

    python -m bench.hnsw_recall [--corpus tmdb|wikipedia] [--queries 300]

Query vectors are cached under var/bench/ so a re-run only rebuilds the indexes.
"""

import argparse
import json
import sys
import tempfile
import time

import numpy as np

from bench.catalogues import BENCH_DIR, SHARED_DATA, setup_django

K = 50
CHROMA_DEFAULT = {"space": "cosine"}  # ef_construction 100, ef_search 100, max_neighbors 16


def queries() -> list[str]:
    lines = (SHARED_DATA / "queries" / "tomt-dev.jsonl").read_text().splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()]


def query_vectors(count: int) -> np.ndarray:
    from recommendations.embedding import encode, index_fingerprint

    cache = BENCH_DIR / f"tomt-queries-{count}-{index_fingerprint().replace('/', '_')}.npy"
    if cache.exists():
        return np.load(cache)
    started = time.perf_counter()
    vectors = encode(queries()[:count])
    print(f"  encoded {count} queries in {time.perf_counter() - started:.0f}s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def catalogue_vectors() -> np.ndarray:
    """Every film vector of the live collection of the catalogue Django points at."""
    from recommendations.vector_store import get_collection

    got = get_collection().get(include=["embeddings"])
    return np.asarray(got["embeddings"], dtype=np.float32)


def chroma_top_k(hnsw: dict, corpus: np.ndarray, query_vectors: np.ndarray) -> tuple[list, float]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(tmp, settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.create_collection(
            "recall", configuration={"hnsw": hnsw}, embedding_function=None
        )
        step = client.get_max_batch_size()
        started = time.perf_counter()
        for i in range(0, len(corpus), step):
            ids = [str(j) for j in range(i, min(i + step, len(corpus)))]
            collection.add(ids=ids, embeddings=corpus[i : i + step])
        build = time.perf_counter() - started
        hits = []
        for i in range(0, len(query_vectors), 200):
            got = collection.query(query_embeddings=query_vectors[i : i + 200], n_results=K)
            hits += [[int(x) for x in ids] for ids in got["ids"]]
        return hits, build


def recall(corpus: np.ndarray, query_vectors: np.ndarray, hnsw: dict) -> tuple[float, float]:
    exact = np.argsort(-(query_vectors @ corpus.T), axis=1)[:, :K]
    approx, build = chroma_top_k(hnsw, corpus, query_vectors)
    found = [len(set(e.tolist()) & set(a)) / K for e, a in zip(exact, approx, strict=True)]
    return float(np.mean(found)), build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["tmdb", "wikipedia"], default="tmdb")
    parser.add_argument("--queries", type=int, default=300, help="the first N TOMT queries")
    args = parser.parse_args()
    setup_django(args.corpus)
    from recommendations.vector_store import HNSW_CONFIGURATION

    vectors = query_vectors(args.queries)
    corpus = catalogue_vectors()
    print(f"recall@{K} of Chroma HNSW vs exact cosine search, {len(vectors)} TOMT queries")
    print(f"{'corpus':<12}{'films':>7}  {'settings':<44}{'recall@50':>10}{'build s':>9}")
    for label, hnsw in [("chroma default", CHROMA_DEFAULT), ("ours", HNSW_CONFIGURATION)]:
        shown = {k: v for k, v in hnsw.items() if k != "space"} or "M16 efC100 efS100"
        value, build = recall(corpus, vectors, hnsw)
        setting = f"{label} {shown}"
        print(f"{args.corpus:<12}{len(corpus):>7}  {setting:<44}{value:>10.4f}{build:>9.1f}")


if __name__ == "__main__":
    sys.exit(main())
