"""Importing ratings: MovieLens ratings.csv mapped onto catalogue films.

A MovieLens movieId is matched to a film by Movie.movielens_id, or through links.csv (next to
ratings.csv) by the film's IMDb or TMDB id. Every row is validated first; any error aborts the
whole import (nothing written) unless skip_invalid, which skips bad rows and reports them.
Importing the same file again changes nothing (upsert on source + rater + film).
"""

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from movies.models import Movie
from viewers.models import Rating

BATCH = 5000
REQUIRED = ("userId", "movieId", "rating", "timestamp")


class RatingsImportError(Exception):
    """Bad input: the message names the file and line of every problem."""


@dataclass
class RatingsImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched_films: int = 0  # rows for MovieLens films that are not in the catalogue
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedRating:
    rater: int
    movielens_id: int
    score: float
    rated_at: dt.datetime


def _parse(row: dict, where: str) -> ParsedRating:
    try:
        rater, movielens_id = int(row["userId"]), int(row["movieId"])
    except (TypeError, ValueError):
        raise RatingsImportError(f"{where}: userId and movieId must be whole numbers") from None
    try:
        score = float(row["rating"])
    except (TypeError, ValueError):
        raise RatingsImportError(f"{where}: rating {row['rating']!r} is not a number") from None
    if not 0.5 <= score <= 5 or score * 2 != int(score * 2):
        raise RatingsImportError(f"{where}: rating {score} is not a half-star from 0.5 to 5")
    try:
        rated_at = dt.datetime.fromtimestamp(int(row["timestamp"]), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise RatingsImportError(f"{where}: timestamp {row['timestamp']!r} is not a time") from None
    if rater <= 0 or movielens_id <= 0:
        raise RatingsImportError(f"{where}: userId and movieId must be positive")
    return ParsedRating(rater, movielens_id, score, rated_at)


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise RatingsImportError(f"{path.name}:1: missing column(s) {', '.join(missing)}")
        for row in reader:
            yield reader.line_num, row


def _film_map(ratings_path: Path) -> dict[int, int]:
    """MovieLens movieId -> Movie.pk, by movielens_id, then by links.csv's IMDb/TMDB ids."""
    mapping = dict(
        Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk")
    )
    links = ratings_path.parent / "links.csv"
    if not links.is_file():
        return mapping
    by_imdb = dict(Movie.objects.filter(imdb_id__isnull=False).values_list("imdb_id", "pk"))
    by_tmdb = dict(Movie.objects.filter(tmdb_id__isnull=False).values_list("tmdb_id", "pk"))
    with open(links, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            movielens_id = int(row["movieId"])
            if movielens_id in mapping:
                continue
            imdb = f"tt{row['imdbId']}" if row.get("imdbId") else None
            tmdb = int(row["tmdbId"]) if (row.get("tmdbId") or "").isdigit() else None
            pk = by_imdb.get(imdb) or by_tmdb.get(tmdb)
            if pk:
                mapping[movielens_id] = pk
    return mapping


def ratings_import_movielens(
    *,
    path: Path,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RatingsImportResult:
    result = RatingsImportResult()
    parsed: list[ParsedRating] = []
    errors: list[str] = []
    for line, row in _rows(path):
        try:
            parsed.append(_parse(row, f"{path.name}:{line}"))
        except RatingsImportError as error:
            errors.append(str(error))
    if errors and not skip_invalid:
        shown = "\n".join(errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise RatingsImportError(
            f"{len(errors)} invalid row(s), nothing imported (--skip-invalid to skip them):\n"
            f"{shown}{more}"
        )
    result.skipped = errors
    films = _film_map(path)
    with transaction.atomic():
        for start in range(0, len(parsed), BATCH):
            _upsert(parsed[start : start + BATCH], films, result)
            if progress:
                progress(len(parsed[start : start + BATCH]))
    return result


def _upsert(batch: list[ParsedRating], films: dict[int, int], result: RatingsImportResult) -> None:
    source = Rating.Source.MOVIELENS
    wanted: dict[tuple[int, int], ParsedRating] = {}
    for rating in batch:
        movie_id = films.get(rating.movielens_id)
        if movie_id is None:
            result.unmatched_films += 1
            continue
        wanted[(rating.rater, movie_id)] = rating
    existing = {
        (r.rater, r.movie_id): r
        for r in Rating.objects.filter(
            source=source,
            rater__in={rater for rater, _ in wanted},
            movie_id__in={movie for _, movie in wanted},
        )
    }
    to_create, to_update = [], []
    for (rater, movie_id), rating in wanted.items():
        current = existing.get((rater, movie_id))
        if current is None:
            to_create.append(
                Rating(
                    source=source,
                    rater=rater,
                    movie_id=movie_id,
                    score=rating.score,
                    rated_at=rating.rated_at,
                )
            )
        elif current.score != rating.score or current.rated_at != rating.rated_at:
            current.score, current.rated_at = rating.score, rating.rated_at
            to_update.append(current)
        else:
            result.unchanged += 1
    Rating.objects.bulk_create(to_create, batch_size=1000)
    Rating.objects.bulk_update(to_update, ["score", "rated_at"], batch_size=1000)
    result.created += len(to_create)
    result.updated += len(to_update)
