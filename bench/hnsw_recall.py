"""Recall@50 of Chroma's HNSW index against exact (numpy brute-force) cosine search.

Corpora: TMDB 5000 and the 36k Wikipedia films from ../shared/data, embedded with the project's
model (for TMDB, the film_text vectors that bench/ingest.py saved, when present); queries: real
TOMT known-item queries (people describing a film they forgot). Compares Chroma's default HNSW
settings with ours (recommendations.vector_store).

    .venv/bin/python bench/hnsw_recall.py [--corpus tmdb|wikipedia|both] [--queries 300]

Vectors are cached under RECSYS_DATA_DIR/bench/ so a re-run only rebuilds the indexes.
"""

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
import django  # noqa: E402

django.setup()

import chromadb  # noqa: E402
from chromadb.config import Settings as ChromaSettings  # noqa: E402
from django.conf import settings  # noqa: E402

from recommendations.embedding import encode, index_fingerprint  # noqa: E402
from recommendations.vector_store import HNSW_CONFIGURATION  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
K = 50
CHROMA_DEFAULT = {"space": "cosine"}  # ef_construction 100, ef_search 100, max_neighbors 16


def tmdb_texts() -> list[str]:
    with open(DATA / "catalogues" / "tmdb_5000_movies.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = []
    for r in rows:
        genres = ", ".join(g["name"] for g in json.loads(r["genres"] or "[]"))
        keywords = ", ".join(k["name"] for k in json.loads(r["keywords"] or "[]")[:20])
        year = r["release_date"][:4]
        parts = [f"{r['title']} ({year})" if year else r["title"]]
        parts += [
            f"Genres: {genres}." if genres else "",
            f"Keywords: {keywords}." if keywords else "",
        ]
        parts += [r["tagline"], r["overview"]]
        texts.append(" ".join(p for p in parts if p))
    return texts


def wikipedia_texts() -> list[str]:
    texts = []
    for path in sorted((DATA / "wikipedia-movies").glob("movies-*.json")):
        for film in json.loads(path.read_text()):
            genres = ", ".join(film.get("genres") or [])
            cast = ", ".join((film.get("cast") or [])[:8])
            parts = [f"{film['title']} ({film['year']})"]
            parts += [f"Genres: {genres}." if genres else "", f"Starring {cast}." if cast else ""]
            parts += [film.get("extract") or ""]
            texts.append(" ".join(p for p in parts if p))
    return texts


def queries() -> list[str]:
    lines = (DATA / "queries" / "tomt-dev.jsonl").read_text().splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()]


def cached_vectors(name: str, texts) -> np.ndarray:
    """texts: a list, or a function returning it (not called when the cache is used)."""
    cache = (
        settings.RECSYS_DATA_DIR / "bench" / f"{name}-{index_fingerprint().replace('/', '_')}.npy"
    )
    if cache.exists():
        return np.load(cache)
    texts = texts() if callable(texts) else texts
    cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = encode(texts)
    print(f"  encoded {len(texts)} {name} texts in {time.perf_counter() - started:.0f}s")
    np.save(cache, vectors)
    return vectors


def chroma_top_k(hnsw: dict, corpus: np.ndarray, query_vectors: np.ndarray) -> tuple[list, float]:
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=["tmdb", "wikipedia", "both"], default="both")
    parser.add_argument("--queries", type=int, default=300, help="the first N TOMT queries")
    args = parser.parse_args()
    query_vectors = cached_vectors(f"tomt-queries-{args.queries}", queries()[: args.queries])
    corpora = {"tmdb": tmdb_texts, "wikipedia": wikipedia_texts}
    names = list(corpora) if args.corpus == "both" else [args.corpus]
    print(f"recall@{K} of Chroma HNSW vs exact cosine search, {len(query_vectors)} TOMT queries")
    print(f"{'corpus':<12}{'films':>7}  {'settings':<44}{'recall@50':>10}{'build s':>9}")
    for name in names:
        corpus = cached_vectors(name, corpora[name])
        for label, hnsw in [("chroma default", CHROMA_DEFAULT), ("ours", HNSW_CONFIGURATION)]:
            shown = {k: v for k, v in hnsw.items() if k != "space"} or "M16 efC100 efS100"
            value, build = recall(corpus, query_vectors, hnsw)
            setting = f"{label} {shown}"
            print(f"{name:<12}{len(corpus):>7}  {setting:<44}{value:>10.4f}{build:>9.1f}")


if __name__ == "__main__":
    main()
