"""What the reranker trains and is evaluated on: the served catalogue (films with their
embedded text), labelled known-item queries, and a candidate source that stands in for the
first stages of the search pipeline.

`DenseCandidates` is an INTERIM candidate generator (exact dense search over the catalogue's
vectors, numpy): it lets the trainer mine hard negatives and the evaluation measure the rerank
lift before the real pipeline (dense + BM25, fused) lands. Anything with the `CandidateSource`
signature can replace it: the trainer and the evaluation take it as an argument.

`tmdb_films()` is an INTERIM loader of TMDB 5000 straight from the CSV (no credits) for
development and benchmarks; the served catalogue comes from the database (`db_films()`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommendations.rerank.base import Candidate

logger = logging.getLogger(__name__)

# candidates_for(query, k) -> the first stages' top k, best first.
CandidateSource = Callable[[str, int], list[Candidate]]


@dataclass(frozen=True)
class Film:
    movie_id: int
    text: str  # recommendations.embedding.film_text(movie), or its CSV mirror below
    synopsis: str = ""
    keywords: tuple[str, ...] = ()
    tmdb_id: int | None = None


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    text: str
    movie_id: int  # the answer, as a catalogue movie_id


def db_films() -> list[Film]:
    """Every film of the served catalogue, with the text the index embeds."""
    from movies.models import Movie
    from recommendations.embedding import film_text

    movies = Movie.objects.prefetch_related("genres", "keywords", "credits__person")
    return [
        Film(
            movie_id=m.pk,
            text=film_text(m),
            synopsis=m.synopsis,
            keywords=tuple(k.name for k in m.keywords.all()),
            tmdb_id=m.tmdb_id,
        )
        for m in movies.iterator(chunk_size=500)
    ]


def _names(raw: str) -> list[str]:
    return [item["name"] for item in json.loads(raw)] if raw else []


def tmdb_films(path: Path) -> list[Film]:
    """INTERIM: TMDB 5000 rows -> Films, text laid out as film_text() lays it out (this CSV has
    no credits). movie_id is the TMDB id. Replaced by the catalogue importer at merge."""
    from recommendations.embedding import MAX_KEYWORDS

    films = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            genres, keywords = _names(row["genres"]), _names(row["keywords"])
            year = row["release_date"][:4]
            head = f"{row['title']} ({year})" if year else row["title"]
            parts = [
                head,
                f"Genres: {', '.join(genres)}." if genres else "",
                f"Keywords: {', '.join(keywords[:MAX_KEYWORDS])}." if keywords else "",
                row["tagline"],
                row["overview"],
            ]
            text = " ".join(p.strip() for p in parts if p and p.strip())
            tmdb_id = int(row["id"])
            films.append(
                Film(
                    movie_id=tmdb_id,
                    text=text,
                    synopsis=row["overview"].strip(),
                    keywords=tuple(keywords),
                    tmdb_id=tmdb_id,
                )
            )
    return films


def tomt_queries(path: Path, films: Iterable[Film]) -> tuple[list[LabelledQuery], int]:
    """Known-item queries whose answer (a TMDB id) is in the catalogue, and how many were
    skipped because it is not."""
    by_tmdb = {f.tmdb_id: f.movie_id for f in films if f.tmdb_id is not None}
    queries, skipped = [], 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                tmdb_id = int(row["answer"]["tmdb_id"])
                text, query_id = row["query"].strip(), str(row["id"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"line {number} of {path.name}: {error!r}") from error
            if tmdb_id not in by_tmdb:
                skipped += 1
                continue
            queries.append(LabelledQuery(id=query_id, text=text, movie_id=by_tmdb[tmdb_id]))
    return queries, skipped


class DenseCandidates:
    """INTERIM candidate source: exact cosine search over the catalogue's embedded texts.
    Vectors are cached under RECSYS_DATA_DIR/cache, keyed by the texts and the model."""

    def __init__(self, films: list[Film], *, cache_dir: Path | None = None):
        self.films = films
        self.vectors = self._vectors(films, cache_dir)
        self._rows = {film.movie_id: row for row, film in enumerate(films)}

    @staticmethod
    def _vectors(films: list[Film], cache_dir: Path | None) -> np.ndarray:
        from recommendations.embedding import encode, index_fingerprint

        digest = hashlib.sha1(index_fingerprint().encode())
        for film in films:
            digest.update(f"{film.movie_id}\t{film.text}\n".encode())
        cache = cache_dir / f"dense-{digest.hexdigest()[:16]}.npy" if cache_dir else None
        if cache and cache.exists():
            return np.load(cache)
        logger.info("embedding %d film texts for the dense candidate source", len(films))
        vectors = encode([f.text for f in films])
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
        return vectors

    def query_vectors(self, queries: list[str]) -> np.ndarray:
        return query_vectors(queries)

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        row = self._rows.get(movie_id)
        return None if row is None else self.vectors[row]

    def top_k(self, query_vector: np.ndarray, k: int) -> list[Candidate]:
        sims = self.vectors @ query_vector
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [
            Candidate(
                movie_id=self.films[i].movie_id,
                text=self.films[i].text,
                vector=self.vectors[i],
                stage_scores={"dense": float(sims[i])},
            )
            for i in top
        ]

    def __call__(self, query: str, k: int) -> list[Candidate]:
        return self.top_k(self.query_vectors([query])[0], k)

    def many(self, queries: list[str], k: int) -> list[list[Candidate]]:
        """Batch form for mining: one encode call for every query."""
        vectors = self.query_vectors(queries)
        return [self.top_k(v, k) for v in vectors]


def candidates_many(
    candidates_for: CandidateSource, queries: list[str], k: int
) -> list[list[Candidate]]:
    """Uses the source's batch form (`.many`) when it has one: one encode for all queries."""
    many = getattr(candidates_for, "many", None)
    return many(queries, k) if many else [candidates_for(q, k) for q in queries]


QUERY_CACHE_SIZE = 4096
_query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_query_cache_lock = threading.Lock()


def query_vectors(queries: list[str]) -> np.ndarray:
    """Query embeddings, remembered (LRU): candidate generation, the reranker's dense prior
    and training all ask for the same queries' vectors."""
    from recommendations.embedding import encode

    with _query_cache_lock:
        missing = list(dict.fromkeys(q for q in queries if q not in _query_cache))
    if missing:
        fresh = encode(missing)
        with _query_cache_lock:
            for query, vector in zip(missing, fresh, strict=True):
                _query_cache[query] = vector
            while len(_query_cache) > QUERY_CACHE_SIZE:
                _query_cache.popitem(last=False)
    with _query_cache_lock:
        found = [_query_cache.get(q) for q in queries]
    if any(v is None for v in found):  # evicted meanwhile (a huge batch): encode directly
        return encode(queries)
    return np.stack(found) if found else np.zeros((0, 384), dtype=np.float32)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.split()) >= 6]


def limit_torch_threads() -> None:
    """One torch thread in processes where TensorFlow does the heavy work and torch only
    embeds queries: on a busy shared CPU, torch's OpenMP threads spin against each other
    (measured: one query embedding 2.2 s with 2 threads vs 0.06 s with 1, load average 18)."""
    import torch

    torch.set_num_threads(1)


class PipelineCandidates:
    """The candidates the cross-encoder reorders in search: the pipeline's fused list (dense +
    BM25 over the served catalogue), with each film's index vector for the dense prior. Mining
    hard negatives here trains the model on the lists it will see."""

    def __init__(self, films: list[Film]):
        self._texts = {film.movie_id: film.text for film in films}

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        """The film's index vector (a right film the pipeline did not retrieve)."""
        from recommendations.search.catalogue import get_snapshot
        from recommendations.search.dense import get_dense_index

        return get_dense_index(get_snapshot()).vector_of(movie_id)

    def __call__(self, query: str, k: int) -> list[Candidate]:
        from recommendations.search.pipeline import retrieve

        result = retrieve(query)  # the fused list: no reranker is loaded while mining
        fused = result.rankings["fused"][:k].tolist()
        ids = [int(result.snapshot.ids[p]) for p in fused]
        return [
            Candidate(
                movie_id=movie_id,
                text=self._texts[movie_id],
                vector=result.dense.vector_of(movie_id) if result.dense else None,
                stage_scores={"fused": result.scores["fused"][p]},
            )
            for p, movie_id in zip(fused, ids, strict=True)
            if movie_id in self._texts
        ]
