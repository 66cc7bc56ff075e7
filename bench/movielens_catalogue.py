"""STAND-IN, for benchmarks only: loads the MovieLens films into the catalogue minimally (title,
year, genres, MovieLens/IMDb/TMDB ids) and puts their vectors in Chroma, until the real importer
(`import_movies --format movielens`) and the ingestion pipeline are merged. Swap
`load_movielens_films` for `call_command("import_movies", "--format", "movielens", ...)` and
`index_movielens_vectors` for the index sync then."""

import csv
import re
from pathlib import Path

import numpy as np
from django.db import transaction

from movies.models import Genre, Movie
from movies.text import normalize_title
from recommendations.embedding import encode
from recommendations.recommenders.evaluation import movielens_vectors
from recommendations.vector_store import get_collection

_TITLE_YEAR = re.compile(r"^(.*?)\s*\((\d{4})\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(.*), (The|A|An)$")


def _title_year(raw: str) -> tuple[str, int | None]:
    match = _TITLE_YEAR.match(raw.strip())
    title, year = (match.group(1), int(match.group(2))) if match else (raw.strip(), None)
    title = _TRAILING_ARTICLE.sub(r"\2 \1", title)
    return title, year if year and 1870 <= year <= 2100 else None


@transaction.atomic
def load_movielens_films(directory: Path) -> int:
    """Create the MovieLens films that are not in the catalogue yet; returns films created."""
    links = {}
    with open(directory / "links.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            links[int(row["movieId"])] = row
    known = set(Movie.objects.values_list("movielens_id", flat=True))
    seen_imdb, seen_tmdb = set(), set()
    films, genres_of = [], {}
    with open(directory / "movies.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            movielens_id = int(row["movieId"])
            if movielens_id in known:
                continue
            title, year = _title_year(row["title"])
            link = links.get(movielens_id, {})
            imdb = f"tt{link['imdbId']}" if link.get("imdbId") else None
            tmdb = int(link["tmdbId"]) if (link.get("tmdbId") or "").isdigit() else None
            imdb = imdb if imdb not in seen_imdb else None
            tmdb = tmdb if tmdb not in seen_tmdb else None
            seen_imdb.add(imdb)
            seen_tmdb.add(tmdb)
            films.append(
                Movie(
                    title=title,
                    normalized_title=normalize_title(title),
                    year=year,
                    movielens_id=movielens_id,
                    imdb_id=imdb,
                    tmdb_id=tmdb,
                )
            )
            genres_of[movielens_id] = [
                g for g in row["genres"].split("|") if g and g != "(no genres listed)"
            ]
    Movie.objects.bulk_create(films, batch_size=1000)
    genre_ids = {}
    for name in sorted({g for names in genres_of.values() for g in names}):
        genre_ids[name] = Genre.objects.get_or_create(name=name)[0].pk
    pks = dict(Movie.objects.filter(movielens_id__in=genres_of).values_list("movielens_id", "pk"))
    through = Movie.genres.through
    through.objects.bulk_create(
        [
            through(movie_id=pks[ml], genre_id=genre_ids[name])
            for ml, names in genres_of.items()
            for name in names
        ],
        batch_size=5000,
    )
    return len(films)


def index_movielens_vectors(directory: Path, *, cache_dir: Path | None = None) -> int:
    """Vectors of the MovieLens films (titles, genres, tags; the evaluation's cached embedding)
    into the Chroma collection under ids str(movie.pk)."""
    vectors = movielens_vectors(directory, encode, cache_dir=cache_dir)
    pairs = list(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk"))
    pairs = [(ml, pk) for ml, pk in pairs if ml in vectors]
    collection = get_collection()
    for start in range(0, len(pairs), 1000):
        batch = pairs[start : start + 1000]
        collection.upsert(
            ids=[str(pk) for _, pk in batch],
            embeddings=np.stack([vectors[ml] for ml, _ in batch]).tolist(),
        )
    return len(pairs)
