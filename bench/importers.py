"""Catalogue import speed: each reference source into an empty catalogue, then again (the
re-run must change nothing), then all four merged into one catalogue; and the bulk service
against a per-row ORM upsert (the obvious way) on the same Wikipedia sample, for a ratio
measured in the same run.

    python -m bench.importers [--sample 1000]

Runs on a throwaway SQLite database in a temporary RECSYS_DATA_DIR (your var/ is untouched).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
WIKIPEDIA_BUDGET_S = 60.0


def sources() -> dict[str, list[Path]]:
    return {
        "tmdb": [DATA / "catalogues" / "tmdb_5000_movies.csv"],
        "movielens": [DATA / "movielens"],
        "netflix": [DATA / "catalogues" / "netflix_titles.csv"],
        "wikipedia": sorted((DATA / "wikipedia-movies").glob("movies-*.json")),
    }


def empty_catalogue() -> None:
    from movies.models import Credit, Genre, Keyword, Movie, Person

    Credit.objects.all().delete()
    Movie.genres.through.objects.all().delete()
    Movie.keywords.through.objects.all().delete()
    for model in (Movie, Person, Genre, Keyword):
        model.objects.all()._raw_delete(model.objects.db)


def per_row_upsert(records) -> None:
    """The reference: one get-or-create per row, per genre and per credit."""
    from django.db import transaction

    from movies.models import Credit, Genre, Movie, Person

    with transaction.atomic():
        for record in records:
            slug = record.wikipedia_slug
            movie = slug and Movie.objects.filter(wikipedia_slug=slug, year=record.year).first()
            movie = movie or Movie.objects.filter(title=record.title, year=record.year).first()
            if movie is None:
                movie = Movie(title=record.title, year=record.year)
            movie.synopsis = movie.synopsis or record.synopsis
            movie.poster_url = movie.poster_url or record.poster_url
            if slug and not movie.wikipedia_slug:
                taken = Movie.objects.filter(wikipedia_slug=slug).exclude(pk=movie.pk).exists()
                movie.wikipedia_slug = None if taken else slug
            movie.save()
            for name in record.genres:
                movie.genres.add(Genre.objects.get_or_create(name=name)[0])
            for order, name in enumerate(record.cast):
                person = Person.objects.filter(name=name).first() or Person.objects.create(
                    name=name
                )
                Credit.objects.get_or_create(
                    movie=movie, person=person, role="cast", defaults={"order": order}
                )


def row(*cells) -> str:
    return " | ".join(str(c) for c in cells)


def figures(s, films: int) -> list:
    return [s.rows, s.created, s.updated, s.unchanged, s.merged, f"{s.seconds:.1f}",
            f"{s.cpu_seconds:.1f}", films]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000, help="rows for the per-row ratio")
    parser.add_argument("--ratio-only", action="store_true", help="skip the full imports")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is absent")
    os.environ["RECSYS_DATA_DIR"] = tempfile.mkdtemp(prefix="recsys-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recsys_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.ratio_only:
        full_imports()
    ratio(args.sample)


def full_imports() -> None:
    from movies.models import Movie
    from movies.services import movies_import

    print(f"# catalogue import, SQLite, load average {os.getloadavg()[0]:.1f}")
    print(row("source", "run", "rows", "created", "updated", "unchanged", "merged", "wall s",
              "CPU s", "films"))  # fmt: skip
    print(row(*["---"] * 10))
    for name, paths in sources().items():
        empty_catalogue()
        for run in ("first", "again"):
            s = movies_import(format=name, paths=paths)
            print(row(name, run, *figures(s, Movie.objects.count())))
            if name == "wikipedia" and run == "first":
                verdict = "within" if s.seconds < WIKIPEDIA_BUDGET_S else "OVER"
    empty_catalogue()
    for name, paths in sources().items():
        s = movies_import(format=name, paths=paths)
        print(row(f"all four: +{name}", "first", *figures(s, Movie.objects.count())))
    print(f"\nwikipedia first run vs its {WIKIPEDIA_BUDGET_S:.0f} s budget: {verdict}")


def ratio(size: int) -> None:
    from movies.importers import get_importer
    from movies.services import movie_records_upsert

    sample = get_importer("wikipedia").read(sources()["wikipedia"]).records[:size]
    empty_catalogue()
    started = time.perf_counter()
    per_row_upsert(sample)
    naive = time.perf_counter() - started
    empty_catalogue()
    owned = get_importer("wikipedia").owned_fields
    started = time.perf_counter()
    movie_records_upsert(records=sample, owned_fields=owned)
    bulk = time.perf_counter() - started
    print(f"\n{len(sample)} Wikipedia rows: per-row ORM upsert {naive:.2f} s, "
          f"bulk service {bulk:.2f} s, {naive / bulk:.1f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
