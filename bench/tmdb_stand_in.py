"""STAND-IN until the TMDB importer and the search pipeline are merged: TMDB 5000 read straight
into FilmFacts (no database) and a plain dense retrieval (cosine over one vector per film), so
the explainer can be tested and measured on real films and real queries' top 10.

Used by tests/recommendations/explain (fixture `tmdb_dense_top10_stand_in`) and bench/explain.py.
Swap for the real importer + pipeline at merge.
"""

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
from django.conf import settings

from recommendations.embedding import encode
from recommendations.explain.facts import FilmFacts

TMDB_CSV = Path("catalogues") / "tmdb_5000_movies.csv"
DEV_QUERIES = Path("queries") / "tomt-dev.jsonl"


def _names(cell: str, key: str = "name") -> tuple[str, ...]:
    return tuple(item[key] for item in json.loads(cell or "[]"))


def load_tmdb_films(data_dir: Path) -> list[FilmFacts]:
    with (data_dir / TMDB_CSV).open(newline="", encoding="utf-8") as handle:
        return [
            FilmFacts(
                movie_id=int(row["id"]),
                title=row["title"],
                year=int(row["release_date"][:4]) if row["release_date"][:4].isdigit() else None,
                synopsis=row["overview"],
                tagline=row["tagline"],
                genres=_names(row["genres"]),
                keywords=_names(row["keywords"]),
                countries=_names(row["production_countries"]),
                languages=_names(row["spoken_languages"]),
            )
            for row in csv.DictReader(handle)
        ]


def load_dev_queries(data_dir: Path, limit: int) -> list[str]:
    with (data_dir / DEV_QUERIES).open(encoding="utf-8") as handle:
        return [json.loads(line)["query"] for line, _ in zip(handle, range(limit), strict=False)]


def retrieval_text(film: FilmFacts) -> str:
    head = f"{film.title} ({film.year})" if film.year else film.title
    return " ".join(
        p
        for p in (
            head,
            f"Genres: {', '.join(film.genres)}." if film.genres else "",
            f"Keywords: {', '.join(film.keywords[:20])}." if film.keywords else "",
            film.tagline,
            film.synopsis,
        )
        if p
    )


def film_vectors(films: list[FilmFacts]) -> np.ndarray:
    """One unit vector per film; kept on disk by content hash (encoding 4,800 films takes a
    minute on two cores)."""
    texts = [retrieval_text(f) for f in films]
    digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
    path = settings.RECSYS_DATA_DIR / "cache" / f"tmdb-stand-in-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def dense_top_k(
    films: list[FilmFacts], vectors: np.ndarray, queries: list[str], k: int
) -> list[list[FilmFacts]]:
    scores = encode(queries) @ vectors.T
    return [[films[i] for i in np.argsort(-row, kind="stable")[:k]] for row in scores]
