"""Labelled known-item queries: a description and the one film it is after (tomt-dev.jsonl's
format: {"id", "query", "answer": {"tmdb_id", "imdb_id"}} per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommendations.lab.progress import Progress


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    text: str
    tmdb_id: int | None = None
    imdb_id: str | None = None
    movie_id: int | None = None  # the answer in this catalogue, once resolved (with_answers)


def load_queries(path: Path) -> list[LabelledQuery]:
    """The queries of a JSON-lines file; a clear error names a bad line."""
    queries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answer = row["answer"]
                tmdb_id = answer.get("tmdb_id")
                queries.append(
                    LabelledQuery(
                        id=str(row.get("id", number)),
                        text=str(row["query"]),
                        tmdb_id=int(tmdb_id) if tmdb_id not in (None, "") else None,
                        imdb_id=answer.get("imdb_id") or None,
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"line {number} of {path}: {error!r}") from error
    return queries


def with_answers(queries: Iterable[LabelledQuery]) -> tuple[list[LabelledQuery], int]:
    """The queries whose answer is in the catalogue, each with its movie_id, and how many
    were left out because it is not."""
    from django.db.models import Q

    from movies.models import Movie

    queries = list(queries)
    tmdb = {q.tmdb_id for q in queries if q.tmdb_id}
    imdb = {q.imdb_id for q in queries if q.imdb_id}
    rows = Movie.objects.filter(Q(tmdb_id__in=tmdb) | Q(imdb_id__in=imdb)).values_list(
        "pk", "tmdb_id", "imdb_id"
    )
    by_tmdb = {t: pk for pk, t, _ in rows if t}
    by_imdb = {i: pk for pk, _, i in rows if i}
    found = []
    for query in queries:
        if movie_id := by_tmdb.get(query.tmdb_id) or by_imdb.get(query.imdb_id):
            found.append(replace(query, movie_id=movie_id))
    return found, len(queries) - len(found)


def served_queries(path: Path, progress: Progress) -> list[LabelledQuery]:
    """The labelled queries of path whose answer the catalogue serves (what the lab trains
    on), how many were skipped logged."""
    queries, skipped = with_answers(load_queries(path))
    progress.log(f"{len(queries)} labelled queries, {skipped} skipped (answer not served)")
    return queries
