"""What the reranker trains and is evaluated on: the served catalogue (each film with the text
the index embeds) and the candidates search's first stages retrieve for a query.

A candidate source is any `candidates_for(query, k)` returning the first stages' top k, best
first: `RetrievedCandidates` (search.pipeline.retrieve over the served catalogue) in the lab;
the trainer and the evaluation take one as an argument."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recommendations.explain.text import split_sentences
from recommendations.rerank.base import Candidate

# candidates_for(query, k) -> the first stages' top k, best first.
CandidateSource = Callable[[str, int], list[Candidate]]
MIN_QUERY_WORDS = 6  # a synopsis sentence this long can stand for a query


@dataclass(frozen=True)
class Film:
    movie_id: int
    text: str  # recommendations.embedding.film_text(movie)
    synopsis: str = ""
    keywords: tuple[str, ...] = ()
    tmdb_id: int | None = None


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


def training_films(*, kind: str, minimum: int) -> list[Film]:
    """db_films(), refused (ValueError) when there are too few to train a model of kind."""
    films = db_films()
    if len(films) < minimum:
        raise ValueError(
            f"the catalogue has {len(films)} films: too few to train a {kind} "
            "(import films first: manage.py import_movies)"
        )
    return films


def sentences(text: str) -> list[str]:
    """The sentences of a synopsis long enough to ask for the film with."""
    return [s for s in split_sentences(text) if len(s.split()) >= MIN_QUERY_WORDS]


def candidates_many(
    candidates_for: CandidateSource, queries: list[str], k: int
) -> list[list[Candidate]]:
    """Uses the source's batch form (`.many`) when it has one."""
    many = getattr(candidates_for, "many", None)
    return many(queries, k) if many else [candidates_for(q, k) for q in queries]


def limit_torch_threads() -> None:
    """One torch thread in processes where TensorFlow does the heavy work and torch only
    embeds: on a busy shared CPU, torch's OpenMP threads spin against each other (measured:
    one query embedding 2.2 s with 2 threads vs 0.06 s with 1, load average 18)."""
    import torch

    torch.set_num_threads(1)


class RetrievedCandidates:
    """The candidates the cross-encoder reorders in search: the fused list of search's first
    stages (search.pipeline.retrieve: dense + BM25 over the served catalogue; no reranker is
    loaded), with each film's index vector for the dense prior. Mining hard negatives here
    trains the model on the lists it will see."""

    def __init__(self, films: list[Film]):
        self._texts = {film.movie_id: film.text for film in films}

    def vector_of(self, movie_id: int) -> np.ndarray | None:
        """The film's index vector (a right film the first stages did not retrieve)."""
        from recommendations.search.catalogue import get_snapshot
        from recommendations.search.dense import get_dense_index

        return get_dense_index(get_snapshot()).vector_of(movie_id)

    def __call__(self, query: str, k: int) -> list[Candidate]:
        from recommendations.search.pipeline import retrieve

        result = retrieve(query)
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
