"""THROWAWAY catalogue loading for search tests and benchmarks, until the real importers
(`import_movies --format tmdb|wikipedia`) and the indexing tasks are merged.

Everything that loads reference data or writes vectors straight into Chroma lives here, in
one place, so the lead can switch tests and bench/ to the real importer and indexer at merge.
Only the fields search needs are loaded: title, year, genres, keywords, overview, tagline,
tmdb_id (TMDB); title, year, genres, cast, extract, slug, thumbnail (Wikipedia).
"""

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction
from django.db.models import Prefetch
from tqdm import tqdm

from movies.models import Credit, Genre, Keyword, Movie, Person
from movies.text import normalize_title
from recommendations.vector_store import get_collection

UPSERT_BATCH = 256


def _names(raw: str) -> list[str]:
    return [item["name"] for item in json.loads(raw or "[]")]


def _year(date: str) -> int | None:
    try:
        year = int((date or "")[:4])
    except ValueError:
        return None
    return year if 1870 <= year <= 2100 else None


def _get_or_create_by_name(model, names: Iterable[str]) -> dict[str, object]:
    wanted = set(names)
    existing = {o.name: o for o in model.objects.filter(name__in=wanted)}
    model.objects.bulk_create(
        [model(name=n) for n in wanted - existing.keys()], batch_size=2000, ignore_conflicts=True
    )
    return {o.name: o for o in model.objects.filter(name__in=wanted)}


@transaction.atomic
def load_tmdb_csv(path: Path, *, limit: int | None = None) -> int:
    """Loads tmdb_5000_movies.csv (or its first `limit` rows). Returns the number of films."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    genres = _get_or_create_by_name(Genre, (g for r in rows for g in _names(r["genres"])))
    keywords = _get_or_create_by_name(Keyword, (k for r in rows for k in _names(r["keywords"])))
    movies = Movie.objects.bulk_create(
        [
            Movie(
                title=r["title"],
                original_title=r["original_title"],
                normalized_title=normalize_title(r["title"]),
                year=_year(r["release_date"]),
                synopsis=r["overview"],
                tagline=r["tagline"][:500],
                runtime=int(float(r["runtime"])) if r["runtime"] else None,
                popularity=float(r["popularity"] or 0),
                vote_average=float(r["vote_average"] or 0),
                vote_count=int(r["vote_count"] or 0),
                tmdb_id=int(r["id"]),
            )
            for r in rows
        ],
        batch_size=1000,
    )
    genre_links, keyword_links = [], []
    for movie, r in zip(movies, rows, strict=True):
        genre_links += [
            Movie.genres.through(movie_id=movie.pk, genre_id=genres[g].pk)
            for g in dict.fromkeys(_names(r["genres"]))
        ]
        keyword_links += [
            Movie.keywords.through(movie_id=movie.pk, keyword_id=keywords[k].pk)
            for k in dict.fromkeys(_names(r["keywords"]))
        ]
    Movie.genres.through.objects.bulk_create(genre_links, batch_size=5000)
    Movie.keywords.through.objects.bulk_create(keyword_links, batch_size=5000)
    return len(movies)


@transaction.atomic
def load_wikipedia_json(directory: Path, *, limit: int | None = None) -> int:
    """Loads wikipedia-movies/movies-*.json (films with a synopsis, unique by page)."""
    rows, seen = [], set()
    for path in sorted(directory.glob("movies-*.json")):
        for r in json.loads(path.read_text(encoding="utf-8")):
            if r.get("href") and r["href"] not in seen and r.get("extract"):
                seen.add(r["href"])
                rows.append(r)
    rows = rows[:limit]
    genres = _get_or_create_by_name(Genre, (g.title() for r in rows for g in r.get("genres", [])))
    people: dict[str, Person] = {}
    names = {n for r in rows for n in r.get("cast", [])[:8]}
    Person.objects.bulk_create([Person(name=n) for n in names], batch_size=5000)
    people = {p.name: p for p in Person.objects.all()}
    movies = Movie.objects.bulk_create(
        [
            Movie(
                title=r["title"][:255],
                normalized_title=normalize_title(r["title"])[:255],
                year=r["year"] if 1870 <= r.get("year", 0) <= 2100 else None,
                synopsis=r["extract"],
                poster_url=(r.get("thumbnail") or "")[:500],
                wikipedia_slug=r["href"][:255],
            )
            for r in rows
        ],
        batch_size=2000,
    )
    genre_links, credits = [], []
    for movie, r in zip(movies, rows, strict=True):
        genre_links += [
            Movie.genres.through(movie_id=movie.pk, genre_id=genres[g.title()].pk)
            for g in dict.fromkeys(g.title() for g in r.get("genres", []))
        ]
        credits += [
            Credit(movie_id=movie.pk, person_id=people[n].pk, role="cast", order=i)
            for i, n in enumerate(dict.fromkeys(r.get("cast", [])[:8]))
        ]
    Movie.genres.through.objects.bulk_create(genre_links, batch_size=5000, ignore_conflicts=True)
    Credit.objects.bulk_create(credits, batch_size=5000, ignore_conflicts=True)
    return len(movies)


def _batches(movies: Iterable[Movie] | None) -> Iterable[list[Movie]]:
    if movies is not None:
        movies = list(movies)
        for start in range(0, len(movies), UPSERT_BATCH):
            yield movies[start : start + UPSERT_BATCH]
        return
    ids = list(Movie.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), UPSERT_BATCH):  # SQLite caps the size of an IN (...)
        # Credits join their people: a separate person prefetch over a batch of long casts
        # makes SQLite build an OR chain deeper than it accepts.
        credits = Prefetch("credits", queryset=Credit.objects.select_related("person"))
        yield list(
            Movie.objects.filter(pk__in=ids[start : start + UPSERT_BATCH]).prefetch_related(
                "genres", "keywords", credits
            )
        )


def index_movies_into_chroma(
    movies: Iterable[Movie] | None = None, *, progress: bool = False
) -> int:
    """Embeds films and writes them into the live collection through the indexing service's
    own writer (film text, synopsis view, metadata). Without `movies`, the whole catalogue."""
    from recommendations.indexing.services import film_text_of, store_films

    collection = get_collection()
    total = len(movies) if isinstance(movies, list) else Movie.objects.count()
    bar = tqdm(total=total, disable=not progress, desc="embedding")
    count = 0
    for batch in _batches(movies):
        store_films([collection], [film_text_of(m) for m in batch])
        bar.update(len(batch))
        count += len(batch)
    bar.close()
    return count
